"""The account page's Grade card: grade, score, pin, why (the contributions) and the
rep's assessment. Added to the account page from here (keyaccounts/sections.py), with
what it reads selected with the page's account (`RELATED`): no query of its own. The
account brief shows the same figures (`grade_card`)."""

from accounts.selectors import is_manager
from keyaccounts import sections

from ..models import Source, bilingual, pin_in_force
from ..specs import explained

# What the Grade card reads through the account, selected with it.
RELATED = ("score__model", "grade_pin__pinned_by", "assessment__rated_by")
BRIEF_REASONS = 3  # factors named on the brief as the grade's strengths, and as what holds it back


def grade_reasons(contributions: list[dict]) -> list[dict]:
    """An account score's contributions (`scoring.specs.explained`), largest first, each
    with `name` (the factor's label in the reader's language) and `source_label` (what
    its raw value measures)."""
    rows = []
    for item in contributions:
        source = item.get("source")
        rows.append(
            {
                **item,
                "name": bilingual(item.get("label", ""), item.get("label_zh", "")),
                "source_label": Source(source).label if source in Source.values else "",
            }
        )
    return sorted(rows, key=lambda row: (-(row.get("contribution") or 0), row["name"]))


def grade_card(account, *, can_pin: bool, today) -> dict:
    """What the Grade card shows. `account` comes with RELATED selected; `can_pin`:
    whether the reader is a manager (who pins grades)."""
    score = getattr(account, "score", None)  # None: not graded yet
    pin = getattr(account, "grade_pin", None)
    return {
        "score": score,
        "reasons": grade_reasons(explained(score, today)) if score is not None else [],
        # A pin past its date no longer holds, even before the next rescore says so.
        "pin": pin_in_force(pin, today),
        "assessment": getattr(account, "assessment", None),
        "can_pin": can_pin,
    }


def grade_summary(reasons: list[dict]) -> dict:
    """The grade's "why" in short: the factors that add the most to the score, and those
    that cost it the most (weight × the points missing to 100), `BRIEF_REASONS` each."""
    strongest = [row for row in reasons if (row.get("points") or 0) > 0][:BRIEF_REASONS]
    named = {row["key"] for row in strongest}
    costly = sorted(
        (row for row in reasons if (row.get("points") or 0) < 100 and row["key"] not in named),
        key=lambda row: (-(row.get("weight") or 0) * (100 - (row.get("points") or 0)), row["name"]),
    )
    return {"strongest": strongest, "weakest": costly[:BRIEF_REASONS]}


def brief_grade_section(request, *, account, today, **page_data) -> dict:
    """The account brief's grade: the figures of the Grade card (the brief pins nothing)
    and the why in short."""
    card = grade_card(account, can_pin=False, today=today)
    return {**card, "why": grade_summary(card["reasons"])}


def account_grade_section(request, *, account, today, manager=None, **page_data) -> dict:
    """The account page's Grade card; `manager`: the page's answer to whether the reader
    is a manager, when it has one (else asked here: one query)."""
    if manager is None:
        manager = is_manager(request.user)
    return grade_card(account, can_pin=manager, today=today)


def register() -> None:
    # After the deals (10), before the visits (14).
    sections.register(
        "account",
        template="scoring/includes/grade_card.html",
        context=account_grade_section,
        order=12,
        related=RELATED,
    )
    # The brief's grade, beside the account's card (10 to 19).
    sections.register(
        "brief",
        template="scoring/includes/brief_grade.html",
        context=brief_grade_section,
        order=10,
        related=RELATED,
    )
