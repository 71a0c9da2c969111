"""Writes. One function per action; pages, the API and imports all call these."""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keyaccounts.changeseq import next_change_seq
from keyaccounts.events import RecordEvent, records_changed
from keyaccounts.exceptions import ApplicationError
from keyaccounts.feed.hooks import feed_records_moved
from keyaccounts.history.bulk import baselines_first, bulk_update_with_history
from keyaccounts.history.parts import parts_reason
from keyaccounts.models import VersionedModel
from keyaccounts.recyclebin.models import Deletion
from keyaccounts.recyclebin.services import (
    MERGED,
    check_restorable,
    deletion_of,
    record_restore,
    soft_delete,
)
from keyaccounts.unchanged import same_as_stored

from . import merge_hooks
from .access import access_refresh_for_accounts
from .duplicates import (
    normalize_credit_code,
    normalize_email,
    normalize_name,
    normalize_phone,
    person_name_key,
)
from .groups import check_merge_parent, check_parent
from .models import Account, AccountCompetitor, AccountTeamMember, Contact, User
from .people_move import contacts_left, mark_left
from .selectors import (
    IN_RECYCLE_BIN,
    IN_RECYCLE_BIN_ASK,
    account_duplicates,
    account_duplicates_in_bin,
    accounts_visible_to,
    assignable_owners,
    can_reassign,
    contact_duplicates_of,
    contacts_in_bin_alike,
    contacts_visible_to,
    is_manager,
    recycle_bin_url,
)


def check_account_owner(
    *,
    by: User,
    owner: User,
    account: Account | None = None,
    manager: bool | None = None,
    assignable: set[int] | None = None,
) -> None:
    """The owner rules of `account_create` (no `account`) and `account_update`: only a
    manager gives an account to someone else, and only to themselves or a member of the
    teams they manage. ApplicationError `owner_not_allowed` otherwise.

    `manager` (`can_reassign(by)`) and `assignable` (the ids of `assignable_owners(by)`)
    come from a caller that checks many rows at once (an import); asked here otherwise."""
    if account is not None:
        if owner.pk == account.owner_id:
            return
        if not (can_reassign(by, account) if manager is None else manager):
            raise ApplicationError(
                _("Only a manager can give this account to someone else."),
                code="owner_not_allowed",
            )
    if owner.pk == by.pk:
        return
    if assignable is not None:
        allowed = owner.pk in assignable
    else:
        allowed = assignable_owners(by).filter(pk=owner.pk).exists()
    if not allowed:
        raise ApplicationError(
            _("You can only give accounts to yourself or to members of the teams you manage."),
            code="owner_not_allowed",
        )


@transaction.atomic
def account_create(
    *, by: User, owner: User | None = None, confirm_duplicate: bool = False, **fields
) -> Account:
    """Create an account. A likely duplicate of an existing one (same credit code or
    normalised name) is refused with `possible_duplicate` unless `confirm_duplicate`."""
    owner = owner or by
    check_account_owner(by=by, owner=owner)
    account = Account(owner=owner, **fields)
    if account.parent_id is not None:
        check_parent(account=account, by=by)  # group customers: one the user sees, live
    _full_clean_account(account, by=by, confirm_duplicate=confirm_duplicate)
    account.save()
    return account


@transaction.atomic
def account_update(
    *,
    account: Account,
    by: User,
    expected_version: int | None = None,
    confirm_duplicate: bool = False,
    **fields,
) -> Account:
    """Change an account. With `expected_version`, refuse if someone saved in between.
    A new name or credit code is checked for duplicates as on create."""
    owner = fields.get("owner")
    if owner is not None:
        check_account_owner(by=by, owner=owner, account=account)
    stored = (account.name_key, account.credit_code)
    parent_before = account.parent_id
    for name, value in fields.items():
        setattr(account, name, value)
    if account.keep_if_unchanged(expected_version=expected_version):
        return account  # read with remember_stored (a bulk upsert) and left as read
    if account.parent_id != parent_before:
        # A new parent company: one the user sees, live, not the account or below it
        # (before the fields' checks, so an unknown id reads as one the user cannot see).
        # The change counter's lock first, so two moves at once cannot make a cycle.
        next_change_seq()
        check_parent(account=account, by=by)
    renamed = (normalize_name(account.name), normalize_credit_code(account.credit_code) or None)
    _full_clean_account(
        account, by=by, confirm_duplicate=confirm_duplicate, check_duplicates=renamed != stored
    )
    account.save(expected_version=expected_version)
    return account


@transaction.atomic
def account_delete(*, account: Account, by: User, expected_version: int | None = None) -> Deletion:
    """Move an account to the recycle bin with its contacts, visits, deals and
    development records (its team stays attached); each leaves a tombstone.

    Only its owner or a manager may; an account with a reviewed development record is
    kept (a reviewed record is never deleted)."""
    account_delete_check(account=account, by=by)
    return soft_delete(
        root=account, by=by, expected_version=expected_version, along=account_deleted_along(account)
    )


def account_delete_check(*, account: Account, by: User) -> None:
    """Raise the ApplicationError `account_delete` would (pages say it before asking)."""
    if not can_manage_team(by, account):
        raise ApplicationError(
            _("Only the owner or a manager can delete this account."), code="permission_denied"
        )
    # Development records are visits' (an app above this one: reached by the relation).
    if account.development_records.filter(reviewed_on__isnull=False).exists():
        raise ApplicationError(
            _(
                "This account has reviewed development records, which are kept: it cannot "
                "be deleted."
            ),
            code="protected",
        )


def account_deleted_along(account: Account) -> list:
    """What goes to the recycle bin with an account (its team and competitors stay
    attached to it): its contacts, visits, deals and development records."""
    return [
        account.contacts.all(),
        account.visits.all(),
        account.opportunities.all(),
        account.development_records.all(),
        account.review_meetings.all(),  # visits.reviews (issue 13)
        account.review_follow_ups.all(),
        account.plans.all(),  # scoring.plans (issue 13)
        account.plan_actions.all(),
        account.complaints.all(),  # visits.complaints (issue 13)
        account.invoices.all(),  # scoring.receivables (issue 13)
    ]


def account_restore(*, account: Account, by: User) -> list:
    """Bring an account back from the recycle bin with everything deleted with it."""
    check_restorer(by=by, record=account)
    return record_restore(record=account, by=by)


def check_restorer(*, by: User, record) -> None:
    """Who deleted a record may restore it, and so may the managers who can see it.

    A record not in the recycle bin (`not_deleted`), or whose account is
    (`account_deleted`), is refused first: that is what there is to say about it."""
    deletion = check_restorable(record)
    if deletion.deleted_by_id == by.pk:
        return
    if not is_manager(by):
        raise ApplicationError(
            _("Only who deleted it, or a manager, can restore this."),
            code="permission_denied",
        )


def can_manage_team(user: User, account: Account, *, manager: bool | None = None) -> bool:
    """The owner and managers shape the account team; teammates see it. `manager`:
    `is_manager(user)`, when the caller knows it already."""
    return user.pk == account.owner_id or (is_manager(user) if manager is None else manager)


def check_team_member(
    *, account: Account, by: User, user: User, manager: bool | None = None
) -> None:
    """Whether `by` may put `user` on the account's team: ApplicationError if not."""
    if not can_manage_team(by, account, manager=manager):
        raise ApplicationError(_("Only the owner or a manager can change the account team."))
    if not user.is_active:
        raise ApplicationError(_("%(user)s is not an active user.") % {"user": user})


# An account's parts (its own tables): what a new version made for them names in the
# changes feed's `changed_fields`, as a deal's parts do (opportunities/services.py).
TEAM, COMPETITORS = "team", "competitors"


def _touch(account: Account, *parts: str) -> None:
    """A part of the account changed (its team, its competitors): a new version, so that
    sync clients see it in the changes feed (and webhooks send it), named in its
    `changed_fields` by the history row's reason (`keyaccounts.history.parts`); an open
    form on the old version is refused. Called before the part is written, so the change
    counter is locked first. Only for a real change: the callers check that first."""
    account._change_reason = parts_reason(parts)
    try:
        account.save(update_fields=[])
    finally:
        del account._change_reason


@transaction.atomic
def team_member_set(*, account: Account, by: User, user: User, role: str) -> AccountTeamMember:
    """Put `user` on the account team in `role` (or change their role); the role they
    already have changes nothing (no history entry, no new version)."""
    check_team_member(account=account, by=by, user=user)
    member = AccountTeamMember.objects.filter(account=account, user=user).first()
    if member is not None and member.role == role:
        return member
    _touch(account, TEAM)
    member, _created = AccountTeamMember.objects.update_or_create(
        account=account, user=user, defaults={"role": role}
    )
    return member


@transaction.atomic
def team_member_remove(*, member: AccountTeamMember, by: User) -> None:
    if not can_manage_team(by, member.account):
        raise ApplicationError(_("Only the owner or a manager can change the account team."))
    _touch(member.account, TEAM)
    member.delete()


@transaction.atomic
def competitor_save(*, competitor: AccountCompetitor, by: User) -> AccountCompetitor:
    """Add or change a competitor at the account; the values it has change nothing
    (`saved_changes` is False, no history entry)."""
    competitor.full_clean()
    if same_as_stored(competitor):
        competitor.saved_changes = False
        return competitor
    _touch(competitor.account, COMPETITORS)
    competitor.save()
    return competitor


@transaction.atomic
def competitor_remove(*, competitor: AccountCompetitor, by: User) -> None:
    _touch(competitor.account, COMPETITORS)
    competitor.delete()


@transaction.atomic
def contact_create(
    *, account: Account, by: User, confirm_duplicate: bool = False, **fields
) -> Contact:
    """Add a contact. One with the name, phone number or email address of another contact
    of the account is refused with `possible_duplicate` unless `confirm_duplicate`."""
    contact = Contact(account=account, **fields)
    contact.full_clean()
    if not confirm_duplicate:
        _check_contact_duplicates(contact, by=by)
    contact.save()
    return contact


@transaction.atomic
def contact_update(
    *,
    contact: Contact,
    by: User,
    expected_version: int | None = None,
    confirm_duplicate: bool = False,
    **fields,
) -> Contact:
    """Change a contact; a new name, phone number or email address is checked for
    duplicates as on create.

    A contact stays with their account, as the import keeps them: the account's visits,
    deals, complaints and reviews name them, and would show them to the account's people
    after a move to an account those people do not see. A person who moved to another
    company is marked as no longer there (people move) and added at the other account."""
    account = fields.get("account")
    if account is not None and account.pk != contact.account_id:
        raise ValidationError(
            {
                "account": _(
                    "A contact stays with their account. If they moved to another company, "
                    "mark them as no longer at the company here and add them at the other "
                    "account."
                )
            }
        )
    stored = _contact_keys(contact)
    stored_phone = contact.phone
    was_active = contact.is_active
    for name, value in fields.items():
        setattr(contact, name, value)
    # People move: the day a contact leaves is kept (cleared if they come back).
    left = mark_left(contact, was_active=was_active)
    if contact.keep_if_unchanged(expected_version=expected_version):
        return contact  # read with remember_stored (a bulk upsert) and left as read
    # A phone number kept as it was is not checked again: one saved before numbers were
    # checked does not stop a change of something else (its form shows it to be mended).
    contact.full_clean(exclude=["phone"] if contact.phone == stored_phone else None)
    if not confirm_duplicate and _contact_keys(contact) != stored:
        _check_contact_duplicates(contact, by=by)
    contact.save(expected_version=expected_version)
    if left:  # the reminder nudge for its account, queued for the commit
        contacts_left.send(sender=Contact, account_ids={contact.account_id})
    return contact


@transaction.atomic
def contact_delete(*, contact: Contact, by: User, expected_version: int | None = None) -> Deletion:
    """Move a contact to the recycle bin; sync clients learn of it through its tombstone.

    Who reported to the contact now reports to nobody (a new version each, so forms
    and sync clients never hold a link to a record in the bin); a restore puts the
    links back where nobody changed them meanwhile."""
    deletion = soft_delete(root=contact, by=by, expected_version=expected_version)
    reports = list(Contact.objects.filter(reports_to=contact))
    for report in reports:
        report.reports_to = None
        report.save()
    if reports:
        deletion.relinks = {"reports_to": [report.pk for report in reports]}
        deletion.save(update_fields=["relinks"])
    return deletion


@transaction.atomic
def contact_restore(*, contact: Contact, by: User) -> list:
    """Bring a contact back; refused while its account is in the recycle bin."""
    check_restorer(by=by, record=contact)
    deletion = deletion_of(contact)
    restored = record_restore(record=contact, by=by)
    for report in Contact.objects.filter(
        pk__in=deletion.relinks.get("reports_to", []), reports_to__isnull=True
    ):
        report.reports_to_id = contact.pk
        try:
            report.full_clean(exclude=["phone"])  # only its link changed
        except ValidationError:
            continue  # its org chart changed meanwhile (a loop now): leave it as it is
        report.save()
    return restored


# --- likely duplicates ------------------------------------------------------------------

# How many matches a possible-duplicate refusal names; any more are only counted.
DUPLICATES_SHOWN = 10


def _possible_duplicate(
    message: str, matches: list[tuple], *, visible: set[int], confirmable: bool
) -> ApplicationError:
    """The refusal that shows what a record may duplicate: each match the user may see
    with its link and what matched, the others only counted, never named.
    `confirmable`: whether saving again with `confirm_duplicate` goes through."""
    shown = [
        {
            "id": record.pk,
            "name": record.name,
            # One in the recycle bin has no page: the bin's, where it is restored; none
            # for one the user may not restore (the bin would not list it).
            "url": (
                recycle_bin_url(record)
                if match == IN_RECYCLE_BIN
                else None
                if match == IN_RECYCLE_BIN_ASK
                else record.get_absolute_url()
            ),
            "match": match,
        }
        for record, match in matches
        if record.pk in visible
    ]
    hidden = {record.pk for record, _match in matches if record.pk not in visible}
    return ApplicationError(
        message,
        code="possible_duplicate",
        extra={
            "duplicates": shown[:DUPLICATES_SHOWN],
            "hidden_duplicates": len(hidden),
            "confirmable": confirmable,
        },
    )


def _full_clean_account(
    account: Account, *, by: User, confirm_duplicate: bool, check_duplicates: bool = True
) -> None:
    """full_clean with the duplicate check between the fields' own checks and the
    uniqueness check, so that a credit code an account the user sees already has is
    answered with that account, not only refused."""
    account.full_clean(validate_unique=False, validate_constraints=False)
    if check_duplicates:
        _check_account_duplicates(account, by=by, confirm_duplicate=confirm_duplicate)
    account.validate_unique()
    account.validate_constraints()


def _check_account_duplicates(account: Account, *, by: User, confirm_duplicate: bool) -> None:
    code = normalize_credit_code(account.credit_code)
    matches = [
        (other, "credit_code" if code and other.credit_code == code else "name")
        for other in account_duplicates(
            name=account.name, credit_code=code, exclude_pk=account.pk
        ).only("pk", "name", "credit_code")
    ]
    held = (
        Account.all_objects.filter(credit_code=code, deleted_at__isnull=False)
        .exclude(pk=account.pk)
        .only("pk", "name", "deletion_id")
        .first()
        if code and not matches
        else None
    )
    if held is not None:
        # The company's account is in the bin: no confirmation makes a second one. Whoever
        # may restore it is shown it there; anyone else gets `validate_unique`'s words.
        if account_duplicates_in_bin(name=held.name, user=by).filter(pk=held.pk).exists():
            raise _possible_duplicate(
                _(
                    "The account with this unified social credit code is in the recycle "
                    "bin. A credit code belongs to one company: restore it there to get back "
                    "its contacts, visits, deals and history, or correct the code."
                ),
                [(held, IN_RECYCLE_BIN)],
                visible={held.pk},
                confirmable=False,
            )
        return
    if not confirm_duplicate:
        # Those in the recycle bin the user may restore: named, as they are theirs.
        binned = account_duplicates_in_bin(name=account.name, user=by, exclude_pk=account.pk)
        matches += [(other, IN_RECYCLE_BIN) for other in binned.only("pk", "name")]
    if not matches:
        return
    visible = set(
        accounts_visible_to(by)
        .filter(pk__in=[other.pk for other, _match in matches])
        .values_list("pk", flat=True)
    )
    check_account_matches(matches, visible=visible, confirm_duplicate=confirm_duplicate)


def check_account_matches(matches: list[tuple], *, visible: set, confirm_duplicate: bool) -> None:
    """The duplicate rule of accounts, given an account's likely duplicates (each
    `(account, "credit_code" | "name")`, as `account_duplicates` finds them, by name;
    `(account, IN_RECYCLE_BIN)` for one in the recycle bin the user may restore, as
    `account_duplicates_in_bin` finds them) and which of them the user sees: a credit
    code held by another account is refused; a name like another's, live or in the bin,
    is refused unless `confirm_duplicate`. ApplicationError `possible_duplicate`, naming
    only what the user sees."""
    if not matches:
        return
    binned = {other.pk for other, match in matches if match == IN_RECYCLE_BIN}
    visible = {*visible, *binned}  # the user may restore them: theirs to be told of
    same_code = {other.pk for other, match in matches if match == "credit_code"}
    if same_code:
        # A credit code names one company: no confirmation makes a second account of it.
        # Held by an account the user cannot see, it is only counted, never named.
        if same_code & visible:
            message = _(
                "An account with this unified social credit code already exists. A credit "
                "code belongs to one company: open that account, or correct the code."
            )
        else:
            message = _(
                "An account with this unified social credit code already exists that you "
                "cannot see: ask your manager, or correct the code."
            )
        raise _possible_duplicate(message, matches, visible=visible, confirmable=False)
    same_name = {other.pk for other, match in matches if match == "name"}
    if confirm_duplicate or not (same_name or binned):
        return
    if binned and not same_name & visible:
        # Most likely the deleted account made again: a restore brings back what it had.
        message = _(
            "An account with this name is in the recycle bin. Restore it there to get back "
            "its contacts, visits, deals and history; if this is a different company, "
            "confirm to save anyway."
        )
    elif same_name & visible:
        message = _(
            "An account that looks like the same company already exists. Open it to "
            "check; if this is a different company, confirm to save anyway."
        )
    else:
        message = _(
            "An account with this name already exists that you cannot see: ask your "
            "manager. If this is a different company, confirm to save anyway."
        )
    raise _possible_duplicate(message, matches, visible=visible, confirmable=True)


def _contact_keys(contact: Contact) -> tuple:
    return (
        contact.account_id,
        normalize_phone(contact.phone),
        normalize_email(contact.email),
        person_name_key(contact.name),
    )


def _check_contact_duplicates(contact: Contact, *, by: User) -> None:
    check_contact_matches(
        [*contact_duplicates_of(contact), *contacts_in_bin_alike(contact, user=by)]
    )


def check_contact_matches(matches: list[tuple]) -> None:
    """The duplicate rule of contacts, given a contact's likely duplicates (each
    `(contact, "name" | "phone" | "email")`, as `contact_duplicates` finds them; then
    `(contact, IN_RECYCLE_BIN | IN_RECYCLE_BIN_ASK)` for one in the recycle bin, as
    `contacts_in_bin_alike` finds them): refused, as a possible duplicate the user may
    confirm. ApplicationError `possible_duplicate`."""
    if matches:
        binned = {IN_RECYCLE_BIN, IN_RECYCLE_BIN_ASK}
        live = [match for _other, match in matches if match not in binned]
        kinds = {match for _other, match in matches}
        message = (
            _(
                "Contacts of this account like this one are in the recycle bin. Restore "
                "the ones linked there yourself, and ask whoever deleted the others or a "
                "manager to restore them, to get back the visits, deals and history that "
                "name them; if this is a different person, confirm to save anyway."
            )
            if not live and binned <= kinds
            else _(
                "A contact of this account like this one is in the recycle bin. Restore it "
                "there to get back the visits, deals and history that name them; if this "
                "is a different person, confirm to save anyway."
            )
            if not live and IN_RECYCLE_BIN in kinds
            else _(
                "A contact of this account like this one is in the recycle bin. Ask whoever "
                "deleted it or a manager to restore it, with the visits, deals and history "
                "that name them; if this is a different person, confirm to save anyway."
            )
            if not live
            else _(
                "Another contact of this account has the same name. Open it to check; if "
                "this is a different person, confirm to save anyway."
            )
            if all(match == "name" for match in live)
            else _(
                "Another contact of this account has the same phone number or email "
                "address. Open it to check; if this is a different person, confirm to save "
                "anyway."
            )
        )
        raise _possible_duplicate(
            message,
            matches,
            # Whoever sees the account sees all its contacts.
            visible={other.pk for other, _match in matches},
            confirmable=True,
        )


# --- merging ------------------------------------------------------------------------------


def merge_fields(model: type[VersionedModel]) -> list:
    """The fields a merge chooses between the two records: what a person edits, except
    the other system's key (its client finds the merged record by it, with the record's
    `merged_into`) and a contact's account (both contacts are of the same one)."""
    return [
        field
        for field in model._meta.concrete_fields
        if field.editable and not field.primary_key and field.name not in {"external_id", "account"}
    ]


def _apply_merge_values(*, survivor, merged, values: dict) -> None:
    """Set the survivor's fields from `values` (field name → the value of either record;
    a related record or its id for a foreign key)."""
    fields = {field.name: field for field in merge_fields(type(survivor))}
    for name, value in values.items():
        field = fields.get(name)
        if field is None:
            raise ApplicationError(
                _("%(field)s is not chosen in a merge.") % {"field": name}, code="invalid"
            )
        if field.is_relation and hasattr(value, "pk"):
            value = value.pk
        if value not in (getattr(survivor, field.attname), getattr(merged, field.attname)):
            raise ApplicationError(
                _("Choose the %(field)s of one of the two records.")
                % {"field": field.verbose_name},
                code="invalid",
            )
        setattr(survivor, field.attname, value)


def _relink(objs: list, *, by: User, now, reason: str | None = None, **changes) -> None:
    """Set `changes` on `objs` (one model) in one statement, each with a history entry;
    a synced record also gets a new version and change number, so that sync clients
    and open forms learn of the move. No changes: only the new version (a part of it,
    such as a visit's contacts, changed)."""
    if not objs:
        return
    model = type(objs[0])
    fields = list(changes)
    accounts_before = {obj.pk: obj.account_id for obj in objs} if "account" in changes else {}
    for obj in objs:
        for name, value in changes.items():
            setattr(obj, name, value)
    if issubclass(model, VersionedModel):
        last = next_change_seq(count=len(objs))
        for seq, obj in zip(range(last - len(objs) + 1, last + 1), objs, strict=True):
            obj.change_seq, obj.version, obj.updated_at = seq, obj.version + 1, now
        fields += ["change_seq", "version", "updated_at"]
    manager = getattr(model, "all_objects", model._default_manager)
    bulk_update_with_history(objs, fields, by=by, date=now, reason=reason, manager=manager)
    if issubclass(model, VersionedModel):
        using = router.db_for_write(model)
        records_changed(model=model, records=objs, event=RecordEvent.UPDATED, using=using)
        if accounts_before:
            feed_records_moved(records=objs, from_account_ids=accounts_before, using=using)


def can_merge(user: User) -> bool:
    """Managers merge duplicates; everyone else asks them."""
    return is_manager(user)


def _relinker(*, by: User, now) -> Callable:
    """`_relink` for the movers of the apps above (accounts/merge_hooks.py)."""

    def relink(objs: list, **changes) -> None:
        _relink(objs, by=by, now=now, **changes)

    return relink


def _check_merge(*, by: User, survivor, merged, visible) -> tuple:
    """The rules both merges share; returns the two records read again and locked."""
    model = type(survivor)
    if survivor.pk == merged.pk:
        raise ApplicationError(
            _("A record cannot be merged with itself: choose another one."), code="invalid"
        )
    if not can_merge(by):
        raise ApplicationError(_("Only a manager can merge records."), code="permission_denied")
    if visible.filter(pk__in=[survivor.pk, merged.pk]).count() != 2:
        raise ApplicationError(_("No such record among those you can see."), code="not_found")
    # The change counter first, then the rows, as every save does: no deadlock with one.
    next_change_seq()
    rows = model.all_objects.select_for_update().in_bulk([survivor.pk, merged.pk])
    survivor, merged = rows[survivor.pk], rows[merged.pk]
    if survivor.deleted_at or merged.deleted_at:
        raise ApplicationError(
            _("A record in the recycle bin cannot be merged: restore it first."),
            code="account_deleted" if model is Account else "invalid",
        )
    # Records inserted in bulk get their "created" entry as they were, before the merge
    # changes them without a history row of their own (the merged one's link, its code).
    baselines_first(model, [survivor.pk, merged.pk])
    return survivor, merged


def _finish_merge(*, survivor, merged, by: User, now) -> None:
    """Save the survivor as a new version and move the merged record to the recycle
    bin, pointing at the survivor (its tombstone in the changes feed too). Both keep
    their history; records merged into it before now point at the survivor."""
    _save_survivor(survivor=survivor, by=by)
    _retire_merged(survivor=survivor, merged=merged, by=by)


def _save_survivor(*, survivor, by: User) -> None:
    """The survivor with the values chosen, a new version (its history's "merged"). A
    contact's phone number is one of the two stored (a merge chooses, types nothing):
    not checked again, as a number kept by an edit is not (`contact_update`)."""
    survivor.full_clean(exclude=["phone"] if isinstance(survivor, Contact) else None)
    survivor._change_reason = MERGED
    survivor._history_user = by
    survivor.save(touch=True)
    del survivor._change_reason, survivor._history_user


def _retire_merged(*, survivor, merged, by: User) -> None:
    """The merged record to the recycle bin, pointing at the survivor, as do the records
    merged into it before."""
    type(survivor).all_objects.filter(merged_into=merged).update(merged_into=survivor)
    soft_delete(root=merged, by=by, reason=MERGED)


@transaction.atomic
def account_merge(*, survivor: Account, merged: Account, by: User, values: dict) -> Account:
    """Merge `merged` into `survivor` (managers; both visible to them, both live).

    The survivor takes the chosen `values` (field → the value of either account) and
    everything of the merged account: its contacts, team members and competitors (those
    the survivor has already stay behind), subsidiaries and the recycle bin entries of
    its records here; what the apps above keep of it through their movers
    (accounts/merge_hooks.py): visits, development records and reminders, deals,
    complaints, review meetings, account plans, invoices, its assessment if the
    survivor has none, monthly sales (a month both have is added up). The merged account goes
    to the recycle bin with `merged_into` set, so its id leads to the survivor. Its
    scores and grade history stay with it; the survivor is rescored."""
    survivor, merged = _check_merge(
        by=by, survivor=survivor, merged=merged, visible=accounts_visible_to(by, deleted=True)
    )
    owner = survivor.owner_id
    _apply_merge_values(survivor=survivor, merged=merged, values=values)
    if survivor.owner_id != owner:
        check_account_owner(by=by, owner=survivor.owner)
    # Group customers: the merged company's subsidiaries become the survivor's; no cycle
    # may result (checked before anything is written).
    check_merge_parent(survivor=survivor, merged=merged)
    now = timezone.now()

    # A credit code the survivor takes over leaves the merged account first: it is
    # unique, the recycle bin included.
    merged.merged_into = survivor
    if merged.credit_code and merged.credit_code == normalize_credit_code(survivor.credit_code):
        merged.credit_code = None
    Account.all_objects.filter(pk=merged.pk).update(
        merged_into=survivor, credit_code=merged.credit_code
    )

    # In this order, so that who sees the survivor is settled before its records move
    # in: each record announced as it moves (the changes feed, webhooks) goes to who
    # sees it after the merge, and an owner the survivor loses is told of the records
    # they saw, never of the merged account's, which they did not.
    # 1. The merged account's team joins the survivor's (in bulk, no signals: the access
    #    table follows it at once).
    _relink(
        list(
            AccountTeamMember.objects.filter(account=merged).exclude(
                user__in=survivor.team_members.values("user")
            )
        ),
        by=by,
        now=now,
        account=survivor,
    )
    access_refresh_for_accounts([survivor.pk])
    # 2. The survivor takes the chosen values (an owner too: its save moves the access).
    _save_survivor(survivor=survivor, by=by)
    # 3. Its records move in.
    contacts = Contact.all_objects.select_for_update().filter(account=merged)
    _relink(list(contacts), by=by, now=now, account=survivor)
    _relink(
        list(
            AccountCompetitor.objects.filter(account=merged).exclude(
                name__in=survivor.competitors.values("name")
            )
        ),
        by=by,
        now=now,
        account=survivor,
    )
    # The merged company's subsidiaries (live or in the bin), each with a new version
    # and a history entry.
    subsidiaries = Account.all_objects.select_for_update().filter(parent=merged)
    subsidiaries = list(subsidiaries.exclude(pk=survivor.pk).order_by("pk"))
    _relink(subsidiaries, by=by, now=now, parent=survivor)

    # What the apps above keep of the account: its visits, deals, development records,
    # complaints, reviews, invoices, plans, assessment, monthly sales and reminders
    # (accounts/merge_hooks.py; each app's merging.py).
    merge_hooks.move_account_rows(
        survivor=survivor, merged=merged, by=by, now=now, relink=_relinker(by=by, now=now)
    )

    # Records of the merged account deleted earlier are the survivor's now: their bin
    # entries follow the survivor's visibility.
    Deletion.objects.filter(account_id=merged.pk).update(account_id=survivor.pk)

    # 4. The merged account, emptied, to the recycle bin; who saw it sees it no more.
    _retire_merged(survivor=survivor, merged=merged, by=by)
    access_refresh_for_accounts([survivor.pk, merged.pk])
    # The survivor is rescored as any saved account is (its save, `_save_survivor`:
    # scoring's post_save hook), so accounts/ names nothing of scoring's services.
    return survivor


@transaction.atomic
def contact_merge(*, survivor: Contact, merged: Contact, by: User, values: dict) -> Contact:
    """Merge `merged` into `survivor`, two contacts of one account (managers).

    The survivor takes the chosen `values` and the merged contact's place in visits
    (each visit a new version), its roles in deals (a deal where both have one keeps the
    survivor's) and the people who reported to it. The merged contact goes to the
    recycle bin with `merged_into` set."""
    if survivor.account_id != merged.account_id:
        raise ApplicationError(
            _("Only two contacts of the same account can be merged."), code="invalid"
        )
    survivor, merged = _check_merge(
        by=by, survivor=survivor, merged=merged, visible=contacts_visible_to(by, deleted=True)
    )
    _apply_merge_values(survivor=survivor, merged=merged, values=values)
    if survivor.reports_to_id in (survivor.pk, merged.pk):
        survivor.reports_to = None  # the merged contact's boss was the survivor, or so
    now = timezone.now()
    merged.merged_into = survivor
    Contact.all_objects.filter(pk=merged.pk).update(merged_into=survivor)

    reports = Contact.all_objects.filter(reports_to=merged).exclude(pk=survivor.pk)
    _relink(list(reports.order_by("pk")), by=by, now=now, reports_to=survivor)
    # The contact's place in visits, deals and complaints (accounts/merge_hooks.py).
    merge_hooks.move_contact_rows(
        survivor=survivor, merged=merged, by=by, now=now, relink=_relinker(by=by, now=now)
    )

    _finish_merge(survivor=survivor, merged=merged, by=by, now=now)
    return survivor
