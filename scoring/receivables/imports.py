"""Invoices from a spreadsheet (keyaccounts.imports): the `receivables` import type.

Columns are the export's importable ones (scoring.receivables.exports.RECEIVABLES), read
back under their names in either language or the ERP's usual headers (发票号, 开票日期,
已回款…). A row finds its invoice by external ID, else by its account and invoice number
(unique among the account's live invoices), and updates it; otherwise it records a new
one, recorded by the importing user. An empty due date is the issue date plus the
account's payment terms (`services.default_due_on`), an empty paid amount is 0. The
rows are checked in memory by the model's rules — what was paid within the amount, due
on or after the issue, no amount below 0, one live invoice per number and account —
each refusal naming its column and what it expects. Registered from
ReceivablesConfig.ready().
"""

import copy
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from keyaccounts.amounts import money
from keyaccounts.imports.columns import ACCOUNT_ALIASES, model_columns
from keyaccounts.imports.kinds import (
    CREATE,
    UNCHANGED,
    UPDATE,
    Kind,
    MatchTexts,
    Outcome,
    RowFailed,
    _account_of,
    _adopt,
    _clean,
    _new,
    find_record,
)
from keyaccounts.imports.lookups import Records, new_ref, ref_of
from keyaccounts.imports.writing import differences

from .models import Receivable

LABEL = "receivables.receivable"
ZERO = Decimal("0")


class ReceivableKind(Kind):
    key = "receivables"
    label = gettext_lazy("Invoice receivables")  # 应收账款（发票）
    key_groups = (("account",), ("invoice_number", "external_id"))
    special = frozenset({"account"})

    @property
    def model(self):
        return Receivable

    def make_columns(self):
        return model_columns(
            Receivable,
            _export_fields(),
            aliases={
                "account": ACCOUNT_ALIASES,
                "invoice_number": ["发票号", "发票号码", "Invoice", "Invoice no.", "Invoice No"],
                "issued_on": ["开票日期", "Invoice date", "Issued", "Date", "日期"],
                "due_on": ["到期日", "到期日期", "Due date", "Due"],
                "amount": ["金额", "发票金额", "Amount", "Invoice amount"],
                "paid_amount": ["已付金额", "已回款", "回款金额", "Paid"],
                "paid_on": ["回款日期", "Paid on", "Payment date"],
                "note": ["备注", "Note", "Notes"],
            },
            due_on={"required": False},
        )

    def example(self, user):
        return {
            "account": "ERP-0001",
            "invoice_number": "INV-2025-0001",
            "issued_on": "2025-03-01",
            "due_on": "2025-04-30",
            "amount": 128000,
            "paid_amount": 50000,
            "paid_on": "2025-04-15",
            "note": _("First delivery of the spare parts"),
            "external_id": "ERP-INV-0001",
        }

    TEXTS = MatchTexts(
        hidden=(
            gettext_lazy("No invoice you can see has this external ID."),
            gettext_lazy("the external ID of an invoice at your accounts, or a new one"),
        ),
        elsewhere=(
            gettext_lazy("The invoice with this external ID is of %(account)s."),
            gettext_lazy("the invoice's own account"),
        ),
        several=(
            gettext_lazy("%(account)s has several invoices numbered %(name)s."),
            gettext_lazy("the invoice's external ID in the row"),
        ),
        other_id=(
            gettext_lazy("Invoice %(name)s of this account has the external ID %(stored)s."),
            gettext_lazy("that external ID, or none"),
        ),
    )

    def gather(self, ctx, rows):
        from .selectors import receivables_visible_to

        numbers = {}
        for row in rows:
            if row.get("account") is not None and row.get("invoice_number"):
                numbers.setdefault(row.get("account").pk, set()).add(row.get("invoice_number"))
        ctx.records = Records(
            Receivable, receivables_visible_to(ctx.by), natural=("invoice_number",)
        )
        ctx.records.prefetch(external_ids={row.get("external_id") for row in rows}, natural=numbers)

    def reads(self, ctx):
        reads = super().reads(ctx)
        accounts, _keys = reads[next(iter(reads))]
        reads[Receivable] = (accounts, ctx.records.external_ids)
        return reads

    def check_row(self, ctx, row):
        from .services import default_due_on

        account = _account_of(row)
        external_id = row.get("external_id")
        invoices = ctx.records
        stored = find_record(
            row,
            account,
            invoices,
            key="invoice_number",
            value=row.get("invoice_number"),
            texts=self.TEXTS,
        )
        fields = self.fields(row)
        if external_id is None:
            fields.pop("external_id", None)
        if "paid_amount" in row.mapped and not row.given("paid_amount"):
            fields["paid_amount"] = ZERO  # an empty cell: nothing paid yet
        ref = ref_of(stored) if stored is not None else new_ref(row)
        if stored is not None:
            invoice = copy.copy(stored)
            key = "external_id" if external_id else "invoice_number"
            ctx.claim(row, (LABEL, ref), key)
        else:
            invoice = _new(Receivable, recorded_by=ctx.by, paid_amount=ZERO, note="")
        invoice.account = account
        for name, value in fields.items():
            setattr(invoice, name, value)
        _require(invoice)
        if not row.given("due_on") and (stored is None or "due_on" in row.mapped):
            invoice.due_on = default_due_on(account, invoice.issued_on)
        _check_amounts(invoice)
        _check_number(invoices, invoice, ref, account)
        _clean(invoice, ref, invoices.holders)
        if stored is None:
            ctx.claim(row, (LABEL, ref), "invoice_number")
            ctx.plan.create(invoice)
            invoices.add(ref, invoice)
            return Outcome(CREATE, invoice)
        changed = differences(invoice, stored)
        if not changed:
            return Outcome(UNCHANGED, stored)
        before = copy.copy(stored)
        _adopt(stored, invoice)
        ctx.plan.update(stored, before, changed)
        invoices.add(stored.pk, stored)
        return Outcome(UPDATE, stored)


def _require(invoice) -> None:
    """What a new invoice cannot be recorded without (a stored one has it already)."""
    if not invoice.invoice_number:
        raise RowFailed(
            "invoice_number",
            _("An invoice needs its number."),
            _("the number on the invoice (发票号)"),
        )
    if invoice.issued_on is None:
        raise RowFailed(
            "issued_on", _("An invoice needs its issue date."), _("a date such as 2025-03-31")
        )
    if invoice.amount is None:
        raise RowFailed("amount", _("An invoice needs its amount."), _("a number such as 1234.50"))


def _check_amounts(invoice) -> None:
    """The model's constraints, each named by its column: an amount above 0, nothing
    paid below 0, what was paid within the amount, due on or after the issue date."""
    if invoice.amount <= 0:
        raise RowFailed(
            "amount", _("An invoice's amount must be more than 0."), _("a number above 0, in CNY")
        )
    if invoice.paid_amount < 0:
        raise RowFailed(
            "paid_amount", _("An amount cannot be below 0."), _("a number of 0 or more, in CNY")
        )
    if invoice.paid_amount > invoice.amount:
        raise RowFailed(
            "paid_amount",
            _("%(paid)s paid is more than the invoice's amount, %(amount)s.")
            % {"paid": money(invoice.paid_amount), "amount": money(invoice.amount)},
            _("at most the invoice's amount"),
        )
    if invoice.due_on < invoice.issued_on:
        raise RowFailed(
            "due_on",
            _("The due date %(due)s is before the issue date %(issued)s.")
            % {"due": invoice.due_on.isoformat(), "issued": invoice.issued_on.isoformat()},
            _("a date on or after the issue date, or empty: the issue date plus the terms"),
        )


def _check_number(invoices: Records, invoice, ref, account) -> None:
    """One live invoice per number and account (the file's own rows included)."""
    itself = invoices.records.get(ref)  # a stored invoice as the lookups hold it
    numbered = invoices.natural(account.pk, "invoice_number", invoice.invoice_number)
    if any(other is not itself for other in numbered):
        raise RowFailed(
            "invoice_number",
            _("%(account)s already has an invoice numbered %(number)s.")
            % {"account": account, "number": invoice.invoice_number},
            _("a number the account's other invoices do not have"),
        )


def _export_fields() -> list[str]:
    """The importable columns of the export, as they come back."""
    from .exports import RECEIVABLES

    return [column.path for column in RECEIVABLES.columns if column.importable]


def register() -> None:
    from keyaccounts.imports.kinds import KINDS

    KINDS.setdefault(ReceivableKind.key, ReceivableKind())
