"""Writes for opportunities. The board, the forms, the API and bulk sync all call these."""

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, Contact, User
from accounts.selectors import accounts_visible_to
from accounts.services import check_restorer
from keyaccounts.exceptions import ApplicationError
from keyaccounts.recyclebin.models import Deletion
from keyaccounts.recyclebin.services import record_restore, soft_delete
from keyaccounts.unchanged import same_as_stored

from .models import (
    CriterionCheck,
    ExitCriterion,
    Opportunity,
    OpportunityCompetitor,
    OpportunityContact,
    OpportunityTeamMember,
    Stage,
    StageChange,
)


def first_open_stage() -> Stage:
    return Stage.objects.filter(is_won=False, is_lost=False).order_by("order").first()


def _check_account(by: User, account: Account) -> None:
    if not accounts_visible_to(by).filter(pk=account.pk).exists():
        raise ApplicationError(_("You cannot work deals at this account."), code="not_found")


def _apply_probability(opportunity: Opportunity, fields: dict) -> None:
    """A probability given by hand sticks; otherwise it follows the stage's default."""
    given = fields.pop("probability", None)
    if given is not None and given != opportunity.stage.default_probability:
        opportunity.probability = given
        opportunity.probability_is_custom = True
    elif given is not None or not opportunity.probability_is_custom:
        opportunity.probability = opportunity.stage.default_probability
        opportunity.probability_is_custom = False


@transaction.atomic
def opportunity_create(
    *, by: User, account: Account, stage: Stage | None = None, owner: User | None = None, **fields
) -> Opportunity:
    """Open a deal at an account, in the first stage unless another is given."""
    _check_account(by, account)
    stage = stage or first_open_stage()
    if stage is None:
        raise ApplicationError(_("No sales stages are set up yet."), code="no_stages")
    opportunity = Opportunity(account=account, owner=owner or by, stage=stage)
    _apply_probability(opportunity, fields)
    for name, value in fields.items():
        setattr(opportunity, name, value)
    if stage.is_closed:
        _check_closing(opportunity, stage)
        opportunity.closed_on = opportunity.closed_on or timezone.localdate()
    opportunity.full_clean()
    opportunity.save()
    StageChange.objects.create(
        opportunity=opportunity, from_stage=None, to_stage=stage, changed_by=by
    )
    return opportunity


def opportunity_update(
    *, opportunity: Opportunity, by: User, expected_version: int | None = None, **fields
) -> Opportunity:
    """Change a deal's details. A stage change goes through `opportunity_move_stage`.

    A deal read with `remember_stored` (a batch that read its deals in one query) whose
    values all stay as read is left alone without a query, as `save` would leave it."""
    stage = fields.pop("stage", None)
    if "account" in fields and fields["account"].pk != opportunity.account_id:
        _check_account(by, fields["account"])
    _apply_probability(opportunity, fields)
    for name, value in fields.items():
        setattr(opportunity, name, value)
    if stage is not None and stage.pk != opportunity.stage_id:
        # One save for the details and the move: one new version, one version check.
        return opportunity_move_stage(
            opportunity=opportunity, to_stage=stage, by=by, expected_version=expected_version
        )
    if opportunity.keep_if_unchanged(expected_version=expected_version):
        return opportunity
    opportunity.full_clean()
    # Atomic by itself (the row, its history, the change number and what they announce).
    opportunity.save(expected_version=expected_version)
    return opportunity


def missing_criteria(opportunity: Opportunity, to_stage: Stage) -> list[ExitCriterion]:
    """The exit criteria still unticked on the way from the deal's stage to `to_stage`.

    Moving forward needs every stage passed to be done; going back, or losing the deal,
    needs nothing.
    """
    return missing_criteria_for([(opportunity, to_stage)])[opportunity.pk]


def missing_criteria_for(
    moves: Iterable[tuple[Opportunity, Stage]],
) -> dict[int, list[ExitCriterion]]:
    """`missing_criteria` of many (deal, to_stage) moves at once, by deal id, in two
    queries however many deals (a page listing deals, such as the account brief)."""
    spans = {}  # deal id -> the stage orders passed on the way [low, high), or None
    for opportunity, to_stage in moves:
        current = opportunity.stage
        forward = not to_stage.is_lost and to_stage.order > current.order
        spans[opportunity.pk] = (current.order, to_stage.order) if forward else None
    wanted = [span for span in spans.values() if span is not None]
    if not wanted:
        return {pk: [] for pk in spans}
    criteria = list(
        ExitCriterion.objects.filter(
            stage__order__gte=min(low for low, _high in wanted),
            stage__order__lt=max(high for _low, high in wanted),
            stage__is_won=False,
            stage__is_lost=False,
        )
        .select_related("stage")
        .order_by("stage__order", "order", "pk")
    )
    ticked = set(
        CriterionCheck.objects.filter(
            opportunity__in=[pk for pk, span in spans.items() if span is not None]
        ).values_list("opportunity_id", "criterion_id")
    )
    return {
        pk: [
            criterion
            for criterion in criteria
            if span[0] <= criterion.stage.order < span[1] and (pk, criterion.pk) not in ticked
        ]
        if span is not None
        else []
        for pk, span in spans.items()
    }


def _check_closing(opportunity: Opportunity, stage: Stage, reason: str | None = None) -> None:
    """Refuse to close without the reason (won/lost reason is required to close)."""
    reason = opportunity.close_reason if reason is None else reason
    if not (reason or "").strip():
        raise ValidationError(
            {
                "close_reason": _("Say why the deal was %(outcome)s before closing it.")
                % {"outcome": _("won") if stage.is_won else _("lost")}
            }
        )


@transaction.atomic
def opportunity_move_stage(
    *,
    opportunity: Opportunity,
    to_stage: Stage,
    by: User,
    close_reason: str | None = None,
    expected_version: int | None = None,
) -> Opportunity:
    """Move a deal to another stage, recording who moved it, when and from where.

    Forward moves need the exit criteria of every stage passed; closing (won or lost)
    needs the reason; reopening a closed deal clears its close date.
    """
    from_stage = opportunity.stage
    if to_stage.pk == from_stage.pk:
        return opportunity
    missing = missing_criteria(opportunity, to_stage)
    if missing:
        raise ApplicationError(
            _("Tick the outcomes that prove the stage is done first: %(list)s.")
            % {"list": "; ".join(str(c) for c in missing)},
            code="exit_criteria_missing",
            extra={"missing_criteria": [c.pk for c in missing]},
        )
    if to_stage.is_closed:
        _check_closing(opportunity, to_stage, close_reason)
    # Checked: only now change the instance, so a refusal leaves it as it was.
    if close_reason is not None:
        opportunity.close_reason = close_reason
    opportunity.stage = to_stage
    if to_stage.is_closed:
        opportunity.closed_on = opportunity.closed_on or timezone.localdate()
    else:
        opportunity.closed_on = None
    if not opportunity.probability_is_custom or to_stage.is_closed:
        opportunity.probability = to_stage.default_probability
        opportunity.probability_is_custom = False
    opportunity.full_clean()
    opportunity.save(expected_version=expected_version)
    StageChange.objects.create(
        opportunity=opportunity, from_stage=from_stage, to_stage=to_stage, changed_by=by
    )
    return opportunity


def _touch(opportunity: Opportunity) -> None:
    """A part of the deal changed (criteria, contacts, team, competitors): a new version,
    so sync clients see it in the changes feed and an open form on the old version is
    refused. Called first, so the change counter is locked before any other row.

    Only for a real change: each part function first checks that the part differs, and
    a write that changes nothing changes nothing (no version, no history entry)."""
    opportunity.save(update_fields=[])


@transaction.atomic
def criterion_set(
    *, opportunity: Opportunity, criterion: ExitCriterion, checked: bool, by: User
) -> None:
    """Tick or untick one exit criterion of the deal; one already so is left alone."""
    ticked = CriterionCheck.objects.filter(opportunity=opportunity, criterion=criterion)
    if ticked.exists() == checked:
        return
    _touch(opportunity)
    if checked:
        CriterionCheck.objects.get_or_create(
            opportunity=opportunity, criterion=criterion, defaults={"checked_by": by}
        )
    else:
        CriterionCheck.objects.filter(opportunity=opportunity, criterion=criterion).delete()


@transaction.atomic
def opportunity_contact_set(
    *, opportunity: Opportunity, contact: Contact, role: str, stance: str, by: User
) -> OpportunityContact:
    if contact.account_id != opportunity.account_id:
        raise ValidationError(
            {
                "contact": _("%(name)s is not a contact of %(account)s.")
                % {"name": contact.name, "account": opportunity.account.name}
            }
        )
    entry = OpportunityContact.objects.filter(opportunity=opportunity, contact=contact).first()
    if entry is not None and (entry.role, entry.stance) == (role, stance):
        return entry
    _touch(opportunity)
    entry, _created = OpportunityContact.objects.update_or_create(
        opportunity=opportunity, contact=contact, defaults={"role": role, "stance": stance}
    )
    return entry


@transaction.atomic
def opportunity_team_member_set(
    *, opportunity: Opportunity, user: User, role: str, by: User
) -> OpportunityTeamMember:
    if not user.is_active:
        raise ApplicationError(_("%(user)s is not an active user.") % {"user": user})
    member = OpportunityTeamMember.objects.filter(opportunity=opportunity, user=user).first()
    if member is not None and member.role == role:
        return member
    _touch(opportunity)
    member, _created = OpportunityTeamMember.objects.update_or_create(
        opportunity=opportunity, user=user, defaults={"role": role}
    )
    return member


@transaction.atomic
def opportunity_competitor_save(
    *, competitor: OpportunityCompetitor, by: User
) -> OpportunityCompetitor:
    competitor.full_clean()
    if same_as_stored(competitor):
        competitor.saved_changes = False
        return competitor
    _touch(competitor.opportunity)
    competitor.save()
    return competitor


@transaction.atomic
def opportunity_contact_remove(*, entry: OpportunityContact, by: User) -> None:
    """Take a contact off the deal; they stay in the account's buying center."""
    _touch(entry.opportunity)
    entry.delete()


@transaction.atomic
def opportunity_team_member_remove(*, member: OpportunityTeamMember, by: User) -> None:
    _touch(member.opportunity)
    member.delete()


@transaction.atomic
def opportunity_competitor_remove(*, competitor: OpportunityCompetitor, by: User) -> None:
    _touch(competitor.opportunity)
    competitor.delete()


@transaction.atomic
def opportunity_delete(
    *, opportunity: Opportunity, by: User, expected_version: int | None = None
) -> Deletion:
    """Move a deal to the recycle bin; sync clients learn of it through its tombstone.
    With `expected_version`, refuse if someone saved it in between."""
    return soft_delete(root=opportunity, by=by, expected_version=expected_version)


def opportunity_restore(*, opportunity: Opportunity, by: User) -> list:
    """Bring a deal back; refused while its account is in the recycle bin."""
    check_restorer(by=by, record=opportunity)
    return record_restore(record=opportunity, by=by)


def local_today() -> datetime.date:
    return timezone.localdate()
