"""Receivables invoice by invoice (应收账款, 发票级): what an account owes us, from the
ERP or typed in, each invoice with its due date and what has been paid of it.

An account with invoices on record is aged from them (scoring.money.risk: each invoice's open
amount by its days overdue); an account without is aged from its month-end balances. A
fully paid invoice stays on record: it says the invoices are where this account's money
is kept, and it is the payment history.
"""

import unicodedata
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from keyaccounts.amounts import amount_at_most
from keyaccounts.links import record_url
from keyaccounts.models import VersionedModel


class Receivable(VersionedModel):
    """One invoice of ours to the account, and what has been paid of it."""

    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        # Never deleted with its account but moved to the recycle bin with it
        # (`account_deleted_along`); only the purge removes both, children first.
        on_delete=models.CASCADE,
        # Not "receivables": the account lists annotate their receivables by that name.
        related_name="invoices",
    )
    invoice_number = models.CharField(
        _("invoice number"),
        max_length=64,
        help_text=_("As on the invoice (发票号); unique among the account's invoices."),
    )
    issued_on = models.DateField(_("issued on"))
    due_on = models.DateField(
        _("due on"),
        help_text=_("Empty: the issue date plus the account's payment terms."),
    )
    amount = models.DecimalField(
        _("amount (CNY)"),
        max_digits=16,
        decimal_places=2,
        # An invoice of nothing is no invoice (and would switch its account's ageing to
        # invoices, see the module's docstring).
        validators=[
            MinValueValidator(
                Decimal("0.01"), message=_("An invoice's amount must be more than 0.")
            ),
            amount_at_most,
        ],
    )
    paid_amount = models.DecimalField(
        _("paid so far (CNY)"),
        max_digits=16,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), amount_at_most],
    )
    paid_on = models.DateField(
        _("last paid on"),
        null=True,
        blank=True,
        help_text=_("The date of the latest payment."),
    )
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("invoice receivable")
        verbose_name_plural = _("invoice receivables")
        ordering = ["due_on", "pk"]
        indexes = [
            # An account's open invoices by due date (the ageing, the account page).
            models.Index(
                fields=["account", "due_on"],
                condition=Q(deleted_at__isnull=True),
                name="receivable_account_due_idx",
            ),
            # The list's order (selectors.RECEIVABLE_ORDER).
            models.Index(
                fields=["due_on", "id"],
                condition=Q(deleted_at__isnull=True),
                name="receivable_list_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "invoice_number"],
                condition=Q(deleted_at__isnull=True),
                name="one_live_invoice_number_per_account",
                violation_error_message=_("This account already has an invoice with this number."),
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="receivable_amount_positive",
                violation_error_message=_("An invoice's amount must be more than 0."),
            ),
            models.CheckConstraint(
                condition=Q(paid_amount__gte=0) & Q(paid_amount__lte=F("amount")),
                name="receivable_paid_within_amount",
                violation_error_message=_("What was paid cannot exceed the invoice's amount."),
            ),
            models.CheckConstraint(
                condition=Q(due_on__gte=F("issued_on")),
                name="receivable_due_after_issue",
                violation_error_message=_("The due date cannot be before the issue date."),
            ),
        ]

    def clean_fields(self, exclude=None):
        # A number typed with a Chinese input method comes full-width (ＦＰ２０２６…): the
        # same invoice as FP2026…, kept in half-width so that the unique rule sees one.
        if self.invoice_number and "invoice_number" not in (exclude or ()):
            self.invoice_number = unicodedata.normalize("NFKC", self.invoice_number).strip()
        super().clean_fields(exclude=exclude)

    def clean(self):
        """The check constraints, in Python and named by their field: what `full_clean`
        would otherwise ask the database, one query (and savepoint) each."""
        errors = {}
        if self.amount is not None and self.paid_amount is not None:
            if self.paid_amount > self.amount:
                errors["paid_amount"] = _("What was paid cannot exceed the invoice's amount.")
        if self.due_on is not None and self.issued_on is not None:
            if self.due_on < self.issued_on:
                errors["due_on"] = _("The due date cannot be before the issue date.")
        if paid_on_problem := self._paid_on_problem():
            errors["paid_on"] = paid_on_problem
        if errors:
            raise ValidationError(errors)

    @classmethod
    def from_db(cls, db, field_names, values):
        record = super().from_db(db, field_names, values)
        # What "last paid on" was checked against when saved (`_paid_on_problem`).
        kept = record.__dict__
        record._stored_paid = (kept.get("paid_on"), kept.get("paid_amount"), kept.get("issued_on"))
        return record

    def _paid_on_problem(self) -> str | None:
        """What is wrong with "last paid on", as "Record a payment" checks a payment's day
        (`services.receivable_pay`): not after today, not before the issue, and only with
        something paid. Asked only of what changed: an invoice saved before the rule
        keeps its day through a change of its note (and a payment keeps the later day)."""
        if self.paid_on is None:
            return None
        stored_on, stored_paid, stored_issued = getattr(self, "_stored_paid", (None, None, None))
        if self.paid_on != stored_on or self.issued_on != stored_issued:
            today = timezone.localdate()
            if self.paid_on > today:
                return _("A payment cannot be dated after today (%(today)s).") % {
                    "today": today.isoformat()
                }
            if self.issued_on is not None and self.paid_on < self.issued_on:
                return _(
                    "A payment cannot be dated before the invoice was issued (%(issued)s)."
                ) % {"issued": self.issued_on.isoformat()}
        if (self.paid_on != stored_on or self.paid_amount != stored_paid) and not self.paid_amount:
            return _(
                "Nothing is paid yet, so there is no day of payment: give what was paid so "
                "far, or leave this empty."
            )
        return None

    def get_constraints(self):
        # Validation leaves the check constraints to `clean` (the database still has
        # them); the unique invoice number is asked of the database.
        return [
            (model, [c for c in constraints if not isinstance(c, models.CheckConstraint)])
            for model, constraints in super().get_constraints()
        ]

    def __str__(self):
        return f"{self.account} · {self.invoice_number}"

    def get_absolute_url(self):
        return record_url("receivables:detail", self.pk)

    @property
    def open_amount(self):
        """What is still owed of it."""
        return (self.amount or 0) - (self.paid_amount or 0)

    @property
    def is_paid(self) -> bool:
        return self.open_amount <= 0
