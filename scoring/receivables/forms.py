"""The invoice's form (record, correct) and the form of a payment."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.forms import VersionedForm
from accounts.models import Account
from keyaccounts.amounts import AMOUNT_MAX, money

from .models import Receivable
from .services import payment_problems, terms_of

DATE_FORMAT = "%Y-%m-%d"  # what <input type="date"> sends and shows


def date_input():
    return forms.DateInput(attrs={"type": "date"}, format=DATE_FORMAT)


def due_help(account: Account) -> str:
    days = terms_of(account)
    return ngettext(
        "Empty: the issue date plus the account's payment terms (%(days)d day).",
        "Empty: the issue date plus the account's payment terms (%(days)d days).",
        days,
    ) % {"days": days}


class ReceivableForm(VersionedForm):
    SECTIONS = [
        (_("The invoice"), ["invoice_number", "issued_on", "due_on", "amount"]),  # 发票
        (_("Paid so far"), ["paid_amount", "paid_on"]),  # 已回款
        (_("Notes"), ["note"]),
        (_("Sync"), ["external_id"]),
    ]

    class Meta:
        model = Receivable
        fields = [
            "invoice_number",
            "issued_on",
            "due_on",
            "amount",
            "paid_amount",
            "paid_on",
            "note",
            "external_id",
        ]
        widgets = {
            "issued_on": date_input(),
            "due_on": date_input(),
            "paid_on": date_input(),
            "note": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "paid_amount": _(
                "Empty or 0: nothing paid yet. Record later payments from the invoice."
            ),
        }

    def __init__(self, *args, account: Account, **kwargs):
        given = set(kwargs.get("initial") or ())
        super().__init__(*args, **kwargs)
        self.account = account
        self.fields["due_on"].required = False
        self.fields["due_on"].help_text = due_help(account)
        self.fields["paid_amount"].required = False
        for name in ("issued_on", "due_on", "paid_on"):
            self.fields[name].input_formats = [DATE_FORMAT]
        if not self.instance.pk and "issued_on" not in given:
            self.initial["issued_on"] = timezone.localdate()  # over the blank one's None

    def sections(self):
        for title, names in self.SECTIONS:
            yield title, [self[name] for name in names if name in self.fields]

    def clean_invoice_number(self):
        number = (self.cleaned_data.get("invoice_number") or "").strip()
        if number and (
            Receivable.objects.filter(account=self.account, invoice_number=number)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            raise forms.ValidationError(
                _(
                    "%(account)s already has an invoice %(number)s: give this invoice's own "
                    "number, or correct the one on record."
                )
                % {"account": self.account.name, "number": number},
                code="unique",
            )
        return number

    def clean(self):
        cleaned = super().clean()
        issued, due = cleaned.get("issued_on"), cleaned.get("due_on")
        if issued and due and due < issued:
            self.add_error(
                "due_on",
                _(
                    "The due date (%(due)s) is before the issue date (%(issued)s): give a date "
                    "on or after it, or leave it empty for the account's payment terms."
                )
                % {"due": due.isoformat(), "issued": issued.isoformat()},
            )
        amount, paid = cleaned.get("amount"), cleaned.get("paid_amount")
        if amount is not None and paid is not None and paid > amount:
            self.add_error(
                "paid_amount",
                _("Paid so far (%(paid)s) cannot be more than the invoice's amount (%(amount)s).")
                % {"paid": money(paid), "amount": money(amount)},
            )
        return cleaned

    def model_fields_data(self) -> dict:
        data = super().model_fields_data()
        if data.get("paid_amount") is None:
            data["paid_amount"] = Decimal("0")
        return data


class PaymentForm(forms.Form):
    """A payment received: how much (empty: all that is still open) and when."""

    amount = forms.DecimalField(
        label=_("Amount paid (CNY)"),  # 回款金额
        required=False,
        max_digits=16,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=AMOUNT_MAX,
        help_text=_("Empty: all that is still open on the invoice."),
    )
    paid_on = forms.DateField(
        label=_("Paid on"),  # 回款日期
        widget=date_input(),
        input_formats=[DATE_FORMAT],
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, receivable: Receivable, **kwargs):
        super().__init__(*args, **kwargs)
        self.receivable = receivable
        self.fields["version"].initial = receivable.version
        self.fields["paid_on"].initial = timezone.localdate()
        self.fields["amount"].widget.attrs["placeholder"] = str(receivable.open_amount)

    def clean(self):
        """The payment's own rules (`services.payment_problems`) on what could be read,
        so every problem is said in one round, not one after another."""
        cleaned = super().clean()
        problems = payment_problems(
            self.receivable,
            amount=cleaned.get("amount"),
            on=cleaned.get("paid_on"),
            today=timezone.localdate(),
        )
        for name, message in problems.items():
            if name not in self.errors:
                self.add_error(name, message)
        return cleaned
