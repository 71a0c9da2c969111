"""A deal's discount against its account's grade ceiling (分级优惠), from the service
policy by grade (`accounts.policy.current_policy`). Over the ceiling is a warning on the
deal page, the deal form (after saving) and the API (`discount_over_ceiling`), never a
refusal: the manager who set the ceiling decides what follows."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext as _

from accounts.policy import Policy, current_policy


def percent_text(value: Decimal) -> str:
    """18.00 → "18", 7.50 → "7.5"."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")


def account_grade(account) -> str | None:
    """The account's grade, None when not graded yet (select_related("account__score")
    to read it without a query)."""
    try:
        score = account.score
    except ObjectDoesNotExist:
        return None
    return getattr(score, "grade", None) or None


@dataclass(frozen=True)
class DiscountCheck:
    discount: Decimal | None
    ceiling: Decimal | None
    grade: str | None
    version: int

    @property
    def over(self) -> bool:
        return (
            self.discount is not None and self.ceiling is not None and self.discount > self.ceiling
        )

    @property
    def message(self) -> str:
        params = {
            "discount": percent_text(self.discount or 0),
            "ceiling": percent_text(self.ceiling or 0),
            "grade": self.grade or "D",
            "version": self.version,
        }
        if self.grade is None:
            return (
                _(
                    "Discount %(discount)s %% is above the ceiling of %(ceiling)s %% for "
                    "accounts not graded yet, served as grade D (service policy v%(version)s)."
                )
                % params
            )
        return (
            _(
                "Discount %(discount)s %% is above the ceiling of %(ceiling)s %% for grade "
                "%(grade)s accounts (service policy v%(version)s)."
            )
            % params
        )


def discount_check(opportunity, *, policy: Policy | None = None) -> DiscountCheck:
    policy = policy or current_policy()
    grade = account_grade(opportunity.account)
    return DiscountCheck(
        discount=opportunity.discount_percent,
        ceiling=policy.discount_ceiling(grade),
        grade=grade,
        version=policy.version,
    )


# --- the deal page's section -------------------------------------------------------------


def deal_section(request, *, opportunity, **page_data) -> dict | None:
    """The deal page's discount line: the discount, the ceiling of its account's grade,
    and a warning in words when it is above (None: no discount given)."""
    if opportunity.discount_percent is None:
        return None
    check = discount_check(opportunity)
    return {
        "check": check,
        "discount": percent_text(check.discount),
        "ceiling": None if check.ceiling is None else percent_text(check.ceiling),
    }


def register() -> None:
    from keyaccounts import sections

    sections.register(
        "deal",
        template="opportunities/includes/discount_section.html",
        context=deal_section,
        order=20,
    )


def warn_if_over(request, opportunity) -> None:
    """After a deal is saved from its form: the same warning as a message (not a refusal)."""
    from django.contrib import messages

    if opportunity.discount_percent is None:
        return
    check = discount_check(opportunity)
    if check.over:
        messages.warning(request, _("Saved, but note: %(warning)s") % {"warning": check.message})
