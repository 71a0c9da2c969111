"""Writes. One function per action; pages, the API and imports all call these."""

from django.db import transaction
from django.utils.translation import gettext as _

from keyaccounts.exceptions import ApplicationError
from keyaccounts.recyclebin.models import Deletion
from keyaccounts.recyclebin.services import deletion_of, record_restore, soft_delete

from .models import Account, AccountCompetitor, AccountTeamMember, Contact, User
from .selectors import assignable_owners, can_reassign, is_manager


def _check_owner(*, by: User, owner: User) -> None:
    if owner.pk != by.pk and not assignable_owners(by).filter(pk=owner.pk).exists():
        raise ApplicationError(
            _("You can only give accounts to yourself or to members of the teams you manage."),
            code="owner_not_allowed",
        )


@transaction.atomic
def account_create(*, by: User, owner: User | None = None, **fields) -> Account:
    owner = owner or by
    _check_owner(by=by, owner=owner)
    account = Account(owner=owner, **fields)
    account.full_clean()
    account.save()
    return account


@transaction.atomic
def account_update(
    *, account: Account, by: User, expected_version: int | None = None, **fields
) -> Account:
    """Change an account. With `expected_version`, refuse if someone saved in between."""
    owner = fields.get("owner")
    if owner is not None and owner.pk != account.owner_id:
        if not can_reassign(by, account):
            raise ApplicationError(
                _("Only a manager can give this account to someone else."),
                code="owner_not_allowed",
            )
        _check_owner(by=by, owner=owner)
    for name, value in fields.items():
        setattr(account, name, value)
    account.full_clean()
    account.save(expected_version=expected_version)
    return account


@transaction.atomic
def account_delete(*, account: Account, by: User, expected_version: int | None = None) -> Deletion:
    """Move an account to the recycle bin with its contacts, visits, deals and
    development records (its team stays attached); each leaves a tombstone.

    Only its owner or a manager may; an account with a reviewed development record is
    kept (a reviewed record is never deleted)."""
    from visits.models import DevelopmentRecord

    if not can_manage_team(by, account):
        raise ApplicationError(
            _("Only the owner or a manager can delete this account."), code="permission_denied"
        )
    if DevelopmentRecord.objects.filter(account=account, reviewed_on__isnull=False).exists():
        raise ApplicationError(
            _(
                "This account has reviewed development records, which are kept: it cannot "
                "be deleted."
            ),
            code="protected",
        )
    return soft_delete(
        root=account,
        by=by,
        expected_version=expected_version,
        along=[
            account.contacts.all(),
            account.visits.all(),
            account.opportunities.all(),
            account.development_records.all(),
        ],
    )


def account_restore(*, account: Account, by: User) -> list:
    """Bring an account back from the recycle bin with everything deleted with it."""
    check_restorer(by=by, record=account)
    return record_restore(record=account, by=by)


def check_restorer(*, by: User, record) -> None:
    """Who deleted a record may restore it, and so may the managers who can see it."""
    deletion = deletion_of(record)
    if deletion is not None and deletion.deleted_by_id == by.pk:
        return
    if not is_manager(by):
        raise ApplicationError(
            _("Only who deleted it, or a manager, can restore this."),
            code="permission_denied",
        )


def can_manage_team(user: User, account: Account) -> bool:
    """The owner and managers shape the account team; teammates see it."""
    return user.pk == account.owner_id or is_manager(user)


@transaction.atomic
def team_member_set(*, account: Account, by: User, user: User, role: str) -> AccountTeamMember:
    """Put `user` on the account team in `role` (or change their role)."""
    if not can_manage_team(by, account):
        raise ApplicationError(_("Only the owner or a manager can change the account team."))
    if not user.is_active:
        raise ApplicationError(_("%(user)s is not an active user.") % {"user": user})
    member, _created = AccountTeamMember.objects.update_or_create(
        account=account, user=user, defaults={"role": role}
    )
    return member


@transaction.atomic
def team_member_remove(*, member: AccountTeamMember, by: User) -> None:
    if not can_manage_team(by, member.account):
        raise ApplicationError(_("Only the owner or a manager can change the account team."))
    member.delete()


@transaction.atomic
def competitor_save(*, competitor: AccountCompetitor, by: User) -> AccountCompetitor:
    competitor.full_clean()
    competitor.save()
    return competitor


@transaction.atomic
def competitor_remove(*, competitor: AccountCompetitor, by: User) -> None:
    competitor.delete()


@transaction.atomic
def contact_create(*, account: Account, by: User, **fields) -> Contact:
    contact = Contact(account=account, **fields)
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def contact_update(
    *, contact: Contact, by: User, expected_version: int | None = None, **fields
) -> Contact:
    for name, value in fields.items():
        setattr(contact, name, value)
    contact.full_clean()
    contact.save(expected_version=expected_version)
    return contact


@transaction.atomic
def contact_delete(*, contact: Contact, by: User, expected_version: int | None = None) -> Deletion:
    """Move a contact to the recycle bin; sync clients learn of it through its tombstone."""
    return soft_delete(root=contact, by=by, expected_version=expected_version)


def contact_restore(*, contact: Contact, by: User) -> list:
    """Bring a contact back; refused while its account is in the recycle bin."""
    check_restorer(by=by, record=contact)
    return record_restore(record=contact, by=by)
