"""Writes for opportunities. The board, the forms, the API and bulk sync all call these."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, Contact, User
from accounts.selectors import accounts_visible_to
from accounts.services import check_restorer
from keyaccounts.events import records_left_accounts
from keyaccounts.exceptions import ApplicationError
from keyaccounts.history.parts import parts_reason
from keyaccounts.recyclebin.models import Deletion
from keyaccounts.recyclebin.services import record_restore, soft_delete
from keyaccounts.templatetags.typography import semicolon
from keyaccounts.text import has_control_characters, join_words
from keyaccounts.unchanged import same_as_stored

from .approvals import withdraw_outdated
from .gates import gate_check
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
    *,
    by: User,
    account: Account,
    stage: Stage | None = None,
    owner: User | None = None,
    contacts: list[dict] | None = None,
    team: list[dict] | None = None,
    competitors: list[dict] | None = None,
    checked_criteria: list[ExitCriterion] | None = None,
    **fields,
) -> Opportunity:
    """Open a deal at an account, in the first stage unless another is given, with the
    parts given (contacts, team, competitors, ticked criteria: as `opportunity_update`
    takes them), all in its first version."""
    _check_account(by, account)
    chosen = stage is not None
    opportunity = opportunity_build(by=by, account=account, stage=stage, owner=owner, **fields)
    stage = opportunity.stage
    if chosen:
        # Opened past the first stage: as if moved there, the outcomes of every stage on
        # the way ticked, in the same write (`checked_criteria`); then the gate.
        check_exit_criteria(
            opportunity, stage, missing=criteria_missing_on_open(stage, checked_criteria)
        )
    if stage.is_won or chosen:  # a deal opened at a closing stage (or won): the gate
        gate_check(opportunity=opportunity, to_stage=stage, by=by)
    opportunity.full_clean()
    opportunity.save()
    StageChange.objects.create(
        opportunity=opportunity, from_stage=None, to_stage=stage, changed_by=by
    )
    parts = {
        CONTACTS: contacts,
        TEAM: team,
        COMPETITORS: competitors,
        CRITERIA: checked_criteria,
    }
    for change in _part_changes(opportunity, parts, by):
        change.apply()  # part of the deal's creation: no new version
    return opportunity


def opportunity_update(*, opportunity: Opportunity, by: User, **changes) -> Opportunity:
    """Change a deal's details. A stage change goes through `opportunity_move_stage`.

    A part given (`contacts`, `team`, `competitors`, `checked_criteria`: see
    `_contacts_change` and its neighbours for the shapes) replaces that part. Everything
    is one write: one transaction, one new version of the deal — or none when neither
    the fields nor the parts given differ from the stored ones. Criteria ticked here
    count for a stage move in the same write.

    A deal read with `remember_stored` (a batch that read its deals in one query) whose
    values all stay as read is left alone without a query, as `save` would leave it.

    Moved to another account (`account`), the deal takes its contacts there with it
    (`_contacts_for_move`) and the account it leaves is announced
    (`keyaccounts.events.records_left_accounts`: rescored), in one transaction."""
    account = changes.get("account")
    if account is None or account.pk == opportunity.account_id:
        return _opportunity_update(opportunity=opportunity, by=by, **changes)
    left = opportunity.account_id
    with transaction.atomic():
        opportunity = _opportunity_update(opportunity=opportunity, by=by, **changes)
        records_left_accounts.send(sender=Opportunity, account_ids={left})
    return opportunity


def _opportunity_update(
    *,
    opportunity: Opportunity,
    by: User,
    expected_version: int | None = None,
    contacts: list[dict] | None = None,
    team: list[dict] | None = None,
    competitors: list[dict] | None = None,
    checked_criteria: list[ExitCriterion] | None = None,
    **fields,
) -> Opportunity:
    """`opportunity_update`, the write itself."""
    stage = fields.pop("stage", None)
    if "account" in fields and fields["account"].pk != opportunity.account_id:
        _check_account(by, fields["account"])
        if contacts is None:
            contacts = _contacts_for_move(opportunity, to=fields["account"])
    _apply_probability(opportunity, fields)
    for name, value in fields.items():
        setattr(opportunity, name, value)
    parts = {CONTACTS: contacts, TEAM: team, COMPETITORS: competitors, CRITERIA: checked_criteria}
    changed = [change.name for change in _part_changes(opportunity, parts, by) if change.changed]
    if changed:
        with transaction.atomic():
            from_stage = opportunity.stage
            if stage is not None and stage.pk != from_stage.pk:
                ticked = None
                if checked_criteria is not None:
                    ticked = {criterion.pk for criterion in checked_criteria}
                check_exit_criteria(opportunity, stage, ticked=ticked)  # before the gate
                gate_check(opportunity=opportunity, to_stage=stage, by=by)
                _prepare_move(opportunity, stage, fields.get("close_reason"), missing=[])
            _save_with_parts(
                opportunity,
                parts,
                names=changed,
                by=by,
                expected_version=expected_version,
                from_stage=from_stage,
            )
            if opportunity.stage_id != from_stage.pk:
                withdraw_outdated(opportunity)
        return opportunity
    if stage is not None and stage.pk != opportunity.stage_id:
        # One save for the details and the move: one new version, one version check.
        # The reason sent with the move is the move's (set above, and said again: a
        # deal leaving a closed stage leaves the stored one behind, `_prepare_move`).
        return opportunity_move_stage(
            opportunity=opportunity,
            to_stage=stage,
            by=by,
            expected_version=expected_version,
            close_reason=fields.get("close_reason"),
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
    moves: Iterable[tuple[Opportunity, Stage]], *, ticked: set[tuple[int, int]] | None = None
) -> dict[int, list[ExitCriterion]]:
    """`missing_criteria` of many (deal, to_stage) moves at once, by deal id, in two
    queries however many deals (a page listing deals, such as the account brief).

    `ticked`: the (deal id, criterion id) pairs to count as ticked instead of those
    stored (a write that ticks them in the same transaction as the move)."""
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
    if ticked is None:
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


def opportunity_build(
    *, by: User, account: Account, stage: Stage | None = None, owner: User | None = None, **fields
) -> Opportunity:
    """The deal `opportunity_create` opens (in the first open stage unless another is
    given; a deal opened closed needs its reason), unsaved and not `full_clean`ed: the
    service saves it, an import checks many first (keyaccounts.imports.kinds)."""
    stage = stage or first_open_stage()
    if stage is None:
        raise ApplicationError(_("No sales stages are set up yet."), code="no_stages")
    return opportunity_open(Opportunity(account=account, owner=owner or by, stage=stage), fields)


def opportunity_open(opportunity: Opportunity, fields: dict) -> Opportunity:
    """`opportunity_build`'s rules on a new deal whose account, owner and stage are set
    (an import makes many deals as copies of a blank one, cheaper than `__init__`)."""
    fields = dict(fields)
    _apply_probability(opportunity, fields)
    for name, value in fields.items():
        setattr(opportunity, name, value)
    if opportunity.stage.is_closed:
        check_closing(opportunity, opportunity.stage)
        opportunity.closed_on = opportunity.closed_on or timezone.localdate()
    return opportunity


def opportunity_set_fields(opportunity: Opportunity, fields: dict) -> None:
    """Set `fields` on the deal as `opportunity_update` does — a probability given by
    hand sticks, else it follows the stage — unsaved (an import checks many first)."""
    fields = dict(fields)
    _apply_probability(opportunity, fields)
    for name, value in fields.items():
        setattr(opportunity, name, value)


def criteria_missing(
    current: Stage, to_stage: Stage, criteria: Iterable[ExitCriterion], ticked: set[int]
) -> list[ExitCriterion]:
    """`missing_criteria` from rows read already (an import reads them once per file):
    of `criteria` (every exit criterion, its stage selected, in order), those not in
    `ticked` (the deal's ticked criterion ids) on the way from `current` to `to_stage`."""
    if to_stage.is_lost or to_stage.order <= current.order:
        return []
    return [
        criterion
        for criterion in criteria
        if current.order <= criterion.stage.order < to_stage.order
        and not criterion.stage.is_closed
        and criterion.pk not in ticked
    ]


def criteria_missing_on_open(
    stage: Stage, ticked: Iterable[ExitCriterion] | None, *, criteria=None, first=None
) -> list[ExitCriterion]:
    """The outcomes a deal opened at `stage` lacks: those of every stage from the first
    open one up to `stage`, less `ticked` (the criteria ticked in the same write).
    `criteria` (all, their stages selected, in order) and `first` (the first open stage)
    when read already (an import)."""
    first = first if first is not None else first_open_stage()
    if first is None:
        return []
    if criteria is None:
        criteria = ExitCriterion.objects.select_related("stage").order_by(
            "stage__order", "order", "pk"
        )
    return criteria_missing(first, stage, criteria, {c.pk for c in ticked or ()})


def opportunity_move_prepare(
    opportunity: Opportunity,
    to_stage: Stage,
    *,
    missing: list[ExitCriterion],
    close_reason: str | None = None,
) -> None:
    """`opportunity_move_stage`'s checks and changes, unsaved, with the missing criteria
    found already (`criteria_missing`): an import moves many deals in one write."""
    _prepare_move(opportunity, to_stage, close_reason, missing=missing)


def check_closing(opportunity: Opportunity, stage: Stage, reason: str | None = None) -> None:
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
    approval_reason: str | None = None,
) -> Opportunity:
    """Move a deal to another stage, recording who moved it, when and from where.

    Forward moves need the exit criteria of every stage passed; closing (won or lost)
    needs the reason; reopening a closed deal clears its close date. A move to a
    closing stage at an account a gate flags needs a manager's approval
    (`opportunities.gates.gate_check`; `approval_reason`: a manager's own).
    """
    from_stage = opportunity.stage
    if to_stage.pk == from_stage.pk:
        return opportunity
    # The criteria first: an approval asked for a move the deal cannot make is wasted.
    check_exit_criteria(opportunity, to_stage)
    gate_check(opportunity=opportunity, to_stage=to_stage, by=by, approval_reason=approval_reason)
    _prepare_move(opportunity, to_stage, close_reason, missing=[])
    opportunity.full_clean()
    opportunity.save(expected_version=expected_version)
    StageChange.objects.create(
        opportunity=opportunity, from_stage=from_stage, to_stage=to_stage, changed_by=by
    )
    withdraw_outdated(opportunity)  # a request the move made moot is approved by nobody
    return opportunity


def check_exit_criteria(
    opportunity: Opportunity,
    to_stage: Stage,
    *,
    ticked: set[int] | None = None,
    missing: list[ExitCriterion] | None = None,
) -> None:
    """ApplicationError `exit_criteria_missing` when the move to `to_stage` lacks
    outcomes (`_prepare_move`'s `ticked` and `missing`)."""
    if missing is None:
        pairs = None if ticked is None else {(opportunity.pk, pk) for pk in ticked}
        missing = missing_criteria_for([(opportunity, to_stage)], ticked=pairs)[opportunity.pk]
    if missing:
        raise ApplicationError(
            _("Tick the outcomes that prove the stage is done first: %(list)s.")
            % {"list": semicolon().join(str(c) for c in missing)},
            code="exit_criteria_missing",
            extra={"missing_criteria": [c.pk for c in missing]},
        )


def _prepare_move(
    opportunity: Opportunity,
    to_stage: Stage,
    close_reason: str | None,
    *,
    ticked: set[int] | None = None,
    missing: list[ExitCriterion] | None = None,
) -> None:
    """Check a move (exit criteria, close reason) and set the deal's fields for it,
    unsaved. `ticked`: the criterion ids the deal will have ticked (default: stored);
    `missing`: the criteria found missing already (`criteria_missing`: an import).
    `close_reason`: the one given with the move (None: none given)."""
    if opportunity.stage.is_closed and close_reason is None:
        # Reopened, or closed the other way: the stored reason was the old outcome's (a
        # deal lost on price and won later is not won "on price"); its history keeps it.
        close_reason = ""
    check_exit_criteria(opportunity, to_stage, ticked=ticked, missing=missing)
    if to_stage.is_closed:
        check_closing(opportunity, to_stage, close_reason)
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


def _touch(opportunity: Opportunity, *parts: str, expected_version: int | None = None) -> None:
    """A part of the deal changed (criteria, contacts, team, competitors): a new version,
    so sync clients see it in the changes feed and an open form on the old version is
    refused. Called first, so the change counter is locked before any other row. Its
    history row names the parts (`keyaccounts.history.parts`): the feed's
    `changed_fields`.

    Only for a real change: each part function first checks that the part differs, and
    a write that changes nothing changes nothing (no version, no history entry)."""
    opportunity._change_reason = parts_reason(parts)
    try:
        opportunity.save(update_fields=[], expected_version=expected_version)
    finally:
        del opportunity._change_reason


@transaction.atomic
def criterion_set(
    *,
    opportunity: Opportunity,
    criterion: ExitCriterion,
    checked: bool,
    by: User,
    expected_version: int | None = None,
) -> None:
    """Tick or untick one exit criterion of the deal; one already so is left alone. With
    `expected_version`, refuse (VersionConflict) if the deal is at another version, even
    when the criterion is already as asked: the caller's view of the deal is stale."""
    ticked = CriterionCheck.objects.filter(opportunity=opportunity, criterion=criterion)
    if ticked.exists() == checked:
        opportunity._keep_as_stored(opportunity.version, expected_version)
        return
    _touch(opportunity, CRITERIA, expected_version=expected_version)
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
    _touch(opportunity, CONTACTS)
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
    _touch(opportunity, TEAM)
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
    _touch(competitor.opportunity, COMPETITORS)
    competitor.save()
    return competitor


@transaction.atomic
def opportunity_contact_remove(*, entry: OpportunityContact, by: User) -> None:
    """Take a contact off the deal; they stay in the account's buying center."""
    _touch(entry.opportunity, CONTACTS)
    entry.delete()


@transaction.atomic
def opportunity_team_member_remove(*, member: OpportunityTeamMember, by: User) -> None:
    _touch(member.opportunity, TEAM)
    member.delete()


@transaction.atomic
def opportunity_competitor_remove(*, competitor: OpportunityCompetitor, by: User) -> None:
    _touch(competitor.opportunity, COMPETITORS)
    competitor.delete()


# --- the deal's parts as whole sets (the API: each list given replaces that part) ------

# The parts' names: the API's fields, and what a new version made for them names in the
# changes feed's `changed_fields`.
CONTACTS, TEAM, COMPETITORS, CRITERIA = "contacts", "team", "competitors", "checked_criteria"
COMPETITOR_TEXT_FIELDS = ("name", "strengths", "weaknesses")


@dataclass
class PartChange:
    """What replacing one part of a deal with a given set writes: rows to delete, rows
    to save (new or changed). Nothing at all when the set equals the stored one."""

    name: str
    delete: list = field(default_factory=list)
    save: list = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.delete or self.save)

    def apply(self) -> None:
        # Each row through its own save and delete: its history entry is written.
        for row in self.delete:
            row.delete()
        for row in self.save:
            row.save()


def _refuse(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def _contacts_for_move(opportunity: Opportunity, *, to: Account) -> list[dict] | None:
    """The contacts part of a deal moved to the account `to` when none was given: a
    contact is of one account, and one left in the deal's buying center would be shown
    with the deal to the people of `to`, who may not see its own account. So the move is
    refused while a contact of the deal's account has a role in it (the contacts at `to`
    are given with the move: none, an empty list); the roles of its contacts in the
    recycle bin go with the move (an empty part); None when the deal has no role."""
    roles = list(opportunity.contact_roles.select_related("contact"))
    names = sorted(entry.contact.name for entry in roles if entry.contact.deleted_at is None)
    if names:
        raise ValidationError(
            {
                "account": _(
                    "Contacts of %(account)s are in this deal's buying center (%(names)s). "
                    "To move the deal, give its contacts at %(new)s in the same change "
                    "(none: an empty list)."
                )
                % {
                    "account": opportunity.account.name,
                    "names": join_words(names),
                    "new": to.name,
                }
            }
        )
    return [] if roles else None


def not_in_buying_center(contact: Contact, account: Account) -> str:
    """A deal's role for `contact`, not one of `account`'s (the deal's): refused, so
    (the service's rule, the admin's contact rows too)."""
    return _(
        "%(name)s is not a contact of %(account)s: only its buying center can be in its deals."
    ) % {"name": contact.name, "account": account.name}


def _contacts_change(opportunity: Opportunity, contacts: list[dict]) -> PartChange:
    """`contacts`: [{"contact": Contact, "role": BuyingRole, "stance": Attitude}]. A role
    of a contact in the recycle bin is not listed and not touched: it comes back with
    the contact — unless the deal moved to another account (`_contacts_for_move`): then
    the old account's roles all go, that contact's too."""
    current = {
        entry.contact_id: entry
        for entry in opportunity.contact_roles.select_related("contact")
        if entry.contact.deleted_at is None or entry.contact.account_id != opportunity.account_id
    }
    errors, seen = {}, set()
    for index, item in enumerate(contacts):
        contact, key = item["contact"], f"{CONTACTS}.{index}.contact"
        if contact.account_id != opportunity.account_id or contact.deleted_at is not None:
            errors[key] = not_in_buying_center(contact, opportunity.account)
        elif contact.pk in seen:
            errors[key] = _("%(name)s is listed twice: give each contact once.") % {
                "name": contact.name
            }
        elif not contact.is_active and contact.pk not in current:
            errors[key] = _(
                "%(name)s has left the customer: only people still there can join a deal."
            ) % {"name": contact.name}
        seen.add(contact.pk)
    _refuse(errors)
    change = PartChange(CONTACTS)
    for item in contacts:
        entry = current.pop(item["contact"].pk, None)
        if entry is None:
            entry = OpportunityContact(opportunity=opportunity, contact=item["contact"])
        elif (entry.role, entry.stance) == (item["role"], item["stance"]):
            continue
        entry.role, entry.stance = item["role"], item["stance"]
        change.save.append(entry)
    change.delete = list(current.values())
    return change


def _team_change(opportunity: Opportunity, team: list[dict]) -> PartChange:
    """`team`: [{"user": User, "role": AccountTeamRole}]."""
    current = {
        member.user_id: member
        for member in OpportunityTeamMember.objects.filter(opportunity=opportunity)
    }
    errors, seen = {}, set()
    for index, item in enumerate(team):
        user, key = item["user"], f"{TEAM}.{index}.user"
        kept = current.get(user.pk)
        if user.pk in seen:
            errors[key] = _("%(user)s is listed twice: give each person once.") % {"user": user}
        elif not user.is_active and (kept is None or kept.role != item["role"]):
            errors[key] = _("%(user)s is not an active user.") % {"user": user}
        seen.add(user.pk)
    _refuse(errors)
    change = PartChange(TEAM)
    for item in team:
        member = current.pop(item["user"].pk, None)
        if member is None:
            member = OpportunityTeamMember(opportunity=opportunity, user=item["user"])
        elif member.role == item["role"]:
            continue
        member.role = item["role"]
        change.save.append(member)
    change.delete = list(current.values())
    return change


def _competitors_change(opportunity: Opportunity, competitors: list[dict]) -> PartChange:
    """`competitors`: [{"name", "threat", "strengths", "weaknesses"}], one per name; a
    name the deal has keeps its entry (and history), the others are added or removed."""
    current = {
        competitor.name: competitor
        for competitor in OpportunityCompetitor.objects.filter(opportunity=opportunity)
    }
    errors, seen = {}, set()
    for index, item in enumerate(competitors):
        # One company whatever its case ("Acme", "acme"), as spaces at its ends are
        # already taken off: a second entry would split its threat and notes in two.
        if item["name"].casefold() in seen:
            errors[f"{COMPETITORS}.{index}.name"] = _(
                "%(name)s is listed twice: give each competitor once."
            ) % {"name": item["name"]}
        seen.add(item["name"].casefold())
        for name in COMPETITOR_TEXT_FIELDS:
            if has_control_characters(item.get(name) or ""):
                errors[f"{COMPETITORS}.{index}.{name}"] = _(
                    "Remove the control characters (such as NUL or a bell) from the text: "
                    "tabs and line breaks are the only ones allowed."
                )
    _refuse(errors)
    change = PartChange(COMPETITORS)
    for index, item in enumerate(competitors):
        competitor = current.pop(item["name"], None)
        values = {name: item[name] for name in ("threat", "strengths", "weaknesses")}
        if competitor is None:
            competitor = OpportunityCompetitor(opportunity=opportunity, name=item["name"])
        elif all(getattr(competitor, name) == value for name, value in values.items()):
            continue
        for name, value in values.items():
            setattr(competitor, name, value)
        try:
            # Unique names are checked above, in memory: no query per row.
            competitor.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            _refuse(
                {f"{COMPETITORS}.{index}.{name}": msgs for name, msgs in error.message_dict.items()}
            )
        change.save.append(competitor)
    change.delete = list(current.values())
    return change


def _criteria_change(
    opportunity: Opportunity, criteria: list[ExitCriterion], by: User
) -> PartChange:
    """`criteria`: the exit criteria to have ticked (of open stages), all others unticked."""
    _refuse(
        {
            f"{CRITERIA}.{index}": _(
                "%(criterion)s is an outcome of a closing stage: only open stages' exit "
                "criteria are ticked."
            )
            % {"criterion": criterion}
            for index, criterion in enumerate(criteria)
            if criterion.stage.is_closed
        }
    )
    current = {
        check.criterion_id: check
        for check in CriterionCheck.objects.filter(opportunity=opportunity)
    }
    change = PartChange(CRITERIA)
    for criterion in {criterion.pk: criterion for criterion in criteria}.values():
        if current.pop(criterion.pk, None) is None:
            change.save.append(
                CriterionCheck(opportunity=opportunity, criterion=criterion, checked_by=by)
            )
    change.delete = list(current.values())
    return change


def _part_changes(opportunity: Opportunity, parts: dict, by: User) -> list[PartChange]:
    """The changes of the parts given (a value of None: that part is not given)."""
    plan = {
        CONTACTS: lambda given: _contacts_change(opportunity, given),
        TEAM: lambda given: _team_change(opportunity, given),
        COMPETITORS: lambda given: _competitors_change(opportunity, given),
        CRITERIA: lambda given: _criteria_change(opportunity, given, by),
    }
    return [plan[name](given) for name, given in parts.items() if given is not None]


def _save_with_parts(
    opportunity: Opportunity,
    parts: dict,
    *,
    names: list[str],
    by: User,
    expected_version: int | None,
    from_stage: Stage | None = None,
) -> None:
    """One new version of the deal — its fields as set on it, and the parts (`names`
    changed, as read before) — in the transaction the caller holds. The deal is saved
    first (the change counter's lock, then the row), then the parts are read again,
    under that lock, and written."""
    opportunity.full_clean()
    opportunity._change_reason = parts_reason(names)
    try:
        opportunity.save(expected_version=expected_version, touch=True)
    finally:
        del opportunity._change_reason
    for change in _part_changes(opportunity, parts, by):
        change.apply()
    if from_stage is not None and from_stage.pk != opportunity.stage_id:
        StageChange.objects.create(
            opportunity=opportunity,
            from_stage=from_stage,
            to_stage=opportunity.stage,
            changed_by=by,
        )


def opportunity_contacts_set(
    *,
    opportunity: Opportunity,
    contacts: list[dict],
    by: User,
    expected_version: int | None = None,
) -> Opportunity:
    """Make `contacts` ([{"contact", "role", "stance"}]) the deal's contacts: one new
    version if they differ from the stored ones, nothing otherwise."""
    return opportunity_update(
        opportunity=opportunity, by=by, expected_version=expected_version, contacts=contacts
    )


def opportunity_team_set(
    *, opportunity: Opportunity, team: list[dict], by: User, expected_version: int | None = None
) -> Opportunity:
    """Make `team` ([{"user", "role"}]) the deal's team (a new version only if it differs)."""
    return opportunity_update(
        opportunity=opportunity, by=by, expected_version=expected_version, team=team
    )


def opportunity_competitors_set(
    *,
    opportunity: Opportunity,
    competitors: list[dict],
    by: User,
    expected_version: int | None = None,
) -> Opportunity:
    """Make `competitors` ([{"name", "threat", "strengths", "weaknesses"}]) the deal's
    competitors, matched by name (a new version only if they differ)."""
    return opportunity_update(
        opportunity=opportunity, by=by, expected_version=expected_version, competitors=competitors
    )


def opportunity_criteria_set(
    *,
    opportunity: Opportunity,
    criteria: list[ExitCriterion],
    by: User,
    expected_version: int | None = None,
) -> Opportunity:
    """Tick exactly `criteria` on the deal, untick the rest (a new version only if the
    ticks differ); a new tick is confirmed by `by`."""
    return opportunity_update(
        opportunity=opportunity, by=by, expected_version=expected_version, checked_criteria=criteria
    )


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
