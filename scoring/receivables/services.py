"""Writes of invoice receivables: one keyword-only function per action.

Whoever sees the account may record and correct its invoices (as the monthly sales);
moving one to the recycle bin is for who recorded it, the account owner or a manager.
A payment adds to `paid_amount` and can never take it past the amount.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, User
from accounts.selectors import accounts_visible_to, is_manager
from accounts.services import check_restorer
from keyaccounts.amounts import money
from keyaccounts.exceptions import ApplicationError, VersionConflict
from keyaccounts.recyclebin.models import Deletion
from keyaccounts.recyclebin.services import record_restore, soft_delete

from .models import Receivable

FIELDS = (
    "invoice_number",
    "issued_on",
    "due_on",
    "amount",
    "paid_amount",
    "paid_on",
    "note",
    "external_id",
)


def check_editor(*, by: User, account: Account) -> None:
    """Whoever sees the account may keep its invoices; others learn nothing (not_found)."""
    if not accounts_visible_to(by).filter(pk=account.pk).exists():
        raise ApplicationError(_("No such account among those you can see."), code="not_found")


def terms_of(account: Account) -> int:
    terms = account.payment_terms_days
    return settings.DEFAULT_PAYMENT_TERMS_DAYS if terms is None else terms


def default_due_on(account: Account, issued_on: datetime.date) -> datetime.date:
    """The issue date plus the account's payment terms (else the default terms); a date
    so late that the terms run past the calendar's end is refused on `issued_on`."""
    terms = terms_of(account)
    try:
        return issued_on + datetime.timedelta(days=terms)
    except OverflowError:
        raise ValidationError(
            {
                "issued_on": _(
                    "%(date)s plus the payment terms (%(days)s days) is past the last date "
                    "there is: give the due date, or the real issue date."
                )
                % {"date": issued_on.isoformat(), "days": terms}
            }
        ) from None


def _fill(receivable: Receivable) -> None:
    if receivable.due_on is None and receivable.issued_on is not None:
        receivable.due_on = default_due_on(receivable.account, receivable.issued_on)
    if receivable.paid_amount is None:
        receivable.paid_amount = Decimal("0")
    if isinstance(receivable.invoice_number, str):
        receivable.invoice_number = receivable.invoice_number.strip()


@transaction.atomic
def receivable_create(*, by: User | None, account: Account, **fields) -> Receivable:
    """Record an invoice of `account`; its due date defaults to the issue date plus the
    account's payment terms. `by` None: a system import (no visibility check)."""
    if by is not None:
        check_editor(by=by, account=account)
    receivable = Receivable(account=account, recorded_by=by)
    for name, value in fields.items():
        setattr(receivable, name, value)
    _fill(receivable)
    receivable.full_clean()
    receivable.save()
    return receivable


@transaction.atomic
def receivable_update(
    *, receivable: Receivable, by: User, expected_version: int | None = None, **fields
) -> Receivable:
    """Correct an invoice; it stays with its account."""
    check_editor(by=by, account=receivable.account)
    fields.pop("account", None)
    for name, value in fields.items():
        setattr(receivable, name, value)
    _fill(receivable)
    receivable.full_clean()
    receivable.save(expected_version=expected_version)
    return receivable


@transaction.atomic
def payment_problems(
    receivable: Receivable,
    *,
    amount: Decimal | None,
    on: datetime.date | None,
    today: datetime.date,
) -> dict[str, str]:
    """What is wrong with a payment of `amount` on `on` (each None: not given, or not
    readable), by field, all at once: not after today nor before the invoice was issued,
    more than 0 and no more than is still open. The payment form asks it too, so a
    person is told everything in one round."""
    errors = {}
    if on is not None and on > today:
        errors["paid_on"] = _("A payment cannot be dated after today (%(today)s).") % {
            "today": today
        }
    elif on is not None and on < receivable.issued_on:
        errors["paid_on"] = _(
            "A payment cannot be dated before the invoice was issued (%(issued)s)."
        ) % {"issued": receivable.issued_on.isoformat()}
    open_amount = receivable.open_amount
    if amount is not None and amount <= 0:
        errors["amount"] = _("A payment must be more than 0.")
    elif amount is not None and amount > open_amount:
        errors["amount"] = _(
            "Only %(open)s is still open on this invoice: a payment cannot be more."
        ) % {"open": money(open_amount)}
    return errors


def receivable_pay(
    *,
    receivable: Receivable,
    by: User,
    amount: Decimal | None = None,
    on: datetime.date | None = None,
    expected_version: int | None = None,
) -> Receivable:
    """Record a payment of `amount` (all that is open when None) on `on` (today).

    The payment is added to what is stored, read under a row lock: two payments at the
    same moment both count (with `expected_version`, a change since is refused instead).
    `on` may not be after today nor before the issue date; "last paid on" keeps the
    latest payment's date when an earlier one is recorded late."""
    check_editor(by=by, account=receivable.account)
    stored = Receivable.objects.select_for_update().filter(pk=receivable.pk).first()
    if stored is None:
        raise ApplicationError(_("This invoice is in the recycle bin."), code="not_found")
    if expected_version is not None and stored.version != expected_version:
        raise VersionConflict(
            _("This record was changed by someone else since you opened it."),
            current_version=stored.version,
        )
    receivable = stored
    today = timezone.localdate()
    on = on or today
    open_amount = receivable.open_amount
    amount = open_amount if amount is None else Decimal(amount)
    if errors := payment_problems(receivable, amount=amount, on=on, today=today):
        raise ValidationError(errors)
    receivable.paid_amount = (receivable.paid_amount or Decimal("0")) + amount
    receivable.paid_on = max(on, receivable.paid_on) if receivable.paid_on else on
    receivable.full_clean()
    receivable.save()
    return receivable


def receivable_delete_check(*, receivable: Receivable, by: User) -> None:
    if by.pk not in (receivable.recorded_by_id, receivable.account.owner_id) and not (
        is_manager(by)
    ):
        raise ApplicationError(
            _(
                "Only who recorded this invoice, the account owner or a manager can move it "
                "to the recycle bin."
            ),
            code="permission_denied",
        )


@transaction.atomic
def receivable_delete(
    *, receivable: Receivable, by: User, expected_version: int | None = None
) -> Deletion:
    receivable_delete_check(receivable=receivable, by=by)
    return soft_delete(root=receivable, by=by, expected_version=expected_version)


def receivable_restore(*, receivable: Receivable, by: User) -> list:
    """Bring an invoice back; refused while its account has another live invoice with the
    same number."""
    clash = (
        Receivable.objects.filter(
            account_id=receivable.account_id, invoice_number=receivable.invoice_number
        )
        .exclude(pk=receivable.pk)
        .exists()
    )
    if clash:
        raise ApplicationError(
            _(
                "The account has another invoice %(number)s now: move that one to the "
                "recycle bin before restoring this one."
            )
            % {"number": receivable.invoice_number},
            code="protected",
        )
    check_restorer(by=by, record=receivable)
    return record_restore(record=receivable, by=by)
