"""Edges found in review: an issue date so late the terms overflow the calendar, two
payments at the same moment, payment dates, an invoice of nothing — each refused with
the field named (page, API, import) or counted right, never a 500 nor a lost payment."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from accounts.models import Account
from keyaccounts.exceptions import VersionConflict
from scoring.money.risk import money_for_accounts
from scoring.receivables import services
from scoring.receivables.models import Receivable

from .test_receivable_import import run
from .test_receivable_pages import create

pytestmark = pytest.mark.django_db
D = Decimal
# The last day an input may name (keyaccounts.days); ten years' terms run past 9999.
LAST_DAY = "9998-12-31"


def an_invoice(personas, **fields):
    fields.setdefault("invoice_number", "FP-1")
    fields.setdefault("issued_on", timezone.localdate() - datetime.timedelta(days=40))
    fields.setdefault("amount", D("1000"))
    return services.receivable_create(by=personas.alice, account=personas.account, **fields)


# --- the calendar's end ---------------------------------------------------------------------


@pytest.fixture
def ten_years_terms(personas):
    Account.objects.filter(pk=personas.account.pk).update(payment_terms_days=3650)


def test_the_page_refuses_an_issue_date_the_terms_run_past(ten_years_terms, personas, login):
    client = login(personas.alice)
    response = create(client, personas.account, issued_on=LAST_DAY, due_on="")
    assert response.status_code == 200
    assert "issued_on" in response.context["form"].errors
    assert "past the last date there is" in str(response.context["form"].errors["issued_on"])
    assert not Receivable.objects.exists()


def test_the_api_refuses_it_naming_issued_on(ten_years_terms, personas, api):
    response = api(personas.alice).post(
        "/api/v1/receivables/",
        {
            "account": personas.account.pk,
            "invoice_number": "X",
            "issued_on": LAST_DAY,
            "amount": "10",
        },  # fmt: skip
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "past the last date there is" in response.json()["errors"]["issued_on"][0]
    assert not Receivable.objects.exists()


def test_the_import_fails_that_row_alone(ten_years_terms, personas):
    content = (
        "客户名称,发票号,开票日期,发票金额\n"
        f"{personas.account.name},A-1,{LAST_DAY},10\n"
        f"{personas.account.name},A-2,2026-01-10,10\n"
    ).encode()
    with translation.override("en"):
        result = run(content, personas.alice, dry_run=True)
    assert [row.status for row in result.rows] == ["error", "create"]
    (problem,) = result.rows[0].problems
    assert problem.column == "开票日期"  # the file's own header
    assert "past the last date there is" in problem.message


# --- payments -------------------------------------------------------------------------------


def test_two_payments_at_the_same_moment_both_count(personas):
    """Both read the invoice before either paid: the second adds to what the first
    stored, not to what it read."""
    invoice = an_invoice(personas)
    first, second = (Receivable.objects.get(pk=invoice.pk) for _ in range(2))
    services.receivable_pay(receivable=first, by=personas.alice, amount=D("100"))
    services.receivable_pay(receivable=second, by=personas.alice, amount=D("200"))
    invoice.refresh_from_db()
    assert invoice.paid_amount == D("300")
    assert invoice.history.count() == 3  # created, paid, paid


def test_a_payment_with_a_stale_version_is_refused(personas):
    invoice = an_invoice(personas)
    version = invoice.version
    services.receivable_pay(receivable=invoice, by=personas.alice, amount=D("100"))
    with pytest.raises(VersionConflict):
        services.receivable_pay(
            receivable=invoice, by=personas.alice, amount=D("1"), expected_version=version
        )
    invoice.refresh_from_db()
    assert invoice.paid_amount == D("100")


def test_payment_dates_are_checked_and_the_latest_is_kept(personas, api):
    invoice = an_invoice(personas)
    today = timezone.localdate()
    client = api(personas.alice)
    url = f"/api/v1/receivables/{invoice.pk}/pay/"
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    before_issue = (invoice.issued_on - datetime.timedelta(days=1)).isoformat()
    for when in (tomorrow, before_issue):
        response = client.post(url, {"amount": "10", "paid_on": when}, format="json")
        assert response.status_code == 400, when
        assert "paid_on" in str(response.json()), when
    assert (
        client.post(url, {"amount": "10", "paid_on": today.isoformat()}, format="json").status_code
        == 200
    )
    late = (today - datetime.timedelta(days=5)).isoformat()  # an earlier payment, recorded late
    assert client.post(url, {"amount": "10", "paid_on": late}, format="json").status_code == 200
    invoice.refresh_from_db()
    assert invoice.paid_amount == D("20")
    assert invoice.paid_on == today


@pytest.mark.parametrize(
    ("paid", "paid_on", "says"),
    [
        ("500", 1, "A payment cannot be dated after today"),
        ("500", -50, "A payment cannot be dated before the invoice was issued"),
        ("0", -5, "Nothing is paid yet, so there is no day of payment"),
    ],
    ids=["future", "before-issue", "nothing-paid"],
)
def test_the_invoice_form_holds_last_paid_on_to_the_payments_rules(
    personas, login, api, paid, paid_on, says
):
    """Typed on the invoice's own form (not "Record a payment"), on create and on edit,
    and sent to the API: the same rules as a payment's day."""
    today = timezone.localdate()
    day = (today + datetime.timedelta(days=paid_on)).isoformat()
    client = login(personas.alice)

    created = create(client, personas.account, paid_amount=paid, paid_on=day)
    invoice = an_invoice(personas)
    edited = client.post(
        f"/receivables/{invoice.pk}/edit/",
        {
            "invoice_number": "FP-1",
            "issued_on": invoice.issued_on.isoformat(),
            "amount": "1000",
            "paid_amount": paid,
            "paid_on": day,
            "version": invoice.version,
        },
    )
    sent = api(personas.alice).patch(
        f"/api/v1/receivables/{invoice.pk}/",
        {"paid_amount": paid, "paid_on": day},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    for response in (created, edited):
        assert response.status_code == 200
        assert says in response.context["form"].errors["paid_on"][0]
    assert sent.status_code == 400 and says in sent.json()["errors"]["paid_on"][0]
    assert Receivable.objects.filter(invoice_number="FP20260001").count() == 0
    invoice.refresh_from_db()
    assert (invoice.paid_amount, invoice.paid_on) == (D("0"), None)


def test_an_invoice_saved_before_the_rule_keeps_its_day_through_other_changes(personas, api):
    """Last paid on in the future with nothing paid, from before the rule: a change of
    the note, and a payment today, still go through (the payment keeps the later day)."""
    invoice = an_invoice(personas)
    later = timezone.localdate() + datetime.timedelta(days=30)
    Receivable.objects.filter(pk=invoice.pk).update(paid_on=later)
    client = api(personas.alice)

    note = client.patch(f"/api/v1/receivables/{invoice.pk}/", {"note": "Called"}, format="json")
    paid = client.post(
        f"/api/v1/receivables/{invoice.pk}/pay/",
        {"amount": "10", "paid_on": timezone.localdate().isoformat()},
        format="json",
    )

    assert note.status_code == 200, note.json()
    assert paid.status_code == 200, paid.json()
    invoice.refresh_from_db()
    assert (invoice.note, invoice.paid_amount, invoice.paid_on) == ("Called", D("10"), later)


# --- an invoice of nothing ------------------------------------------------------------------


def test_an_invoice_of_nothing_is_refused_and_cannot_lift_the_flags(personas, login, api):
    """A month-end balance over 90 days flags the account; a 0 invoice would have
    switched it to invoices owing nothing. Refused on the page, the API and the import."""
    from scoring.models import MonthlySales

    today = timezone.localdate()
    first = today.replace(day=1)
    for back in range(6):
        month = first
        for _ in range(back):
            month = (month - datetime.timedelta(days=1)).replace(day=1)
        MonthlySales.objects.create(
            account=personas.account, month=month, sales=D(0), receivables=D(500000)
        )
    page = create(login(personas.alice), personas.account, amount="0")
    assert "amount" in page.context["form"].errors
    response = api(personas.alice).post(
        "/api/v1/receivables/",
        {
            "account": personas.account.pk,
            "invoice_number": "Z",
            "issued_on": "2026-01-10",
            "amount": "0",
        },  # fmt: skip
        format="json",
    )
    assert response.status_code == 400 and "amount" in str(response.json())
    with translation.override("en"):
        result = run(
            f"客户名称,发票号,开票日期,发票金额\n{personas.account.name},Z,2026-01-10,0\n".encode(),
            personas.alice,
            dry_run=True,
        )
    assert [(p.column, p.message) for p in result.rows[0].problems] == [
        ("发票金额", "An invoice's amount must be more than 0.")
    ]
    assert not Receivable.objects.exists()
    assert money_for_accounts([personas.account])[personas.account.pk].over_90


def test_the_amounts_a_refusal_names_read_as_the_pages_show_them(personas, api):
    """ "Only ¥149,900.45 is still open", not "Only 149900.45": an amount in a message is
    grouped by thousands with its currency, as the invoice's page shows it (the payment
    service, the API's check of an invoice, in both languages)."""
    invoice = an_invoice(personas, amount=D("150000.45"))
    services.receivable_pay(receivable=invoice, by=personas.alice, amount=D("100"))
    invoice.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        services.receivable_pay(receivable=invoice, by=personas.alice, amount=D("200000"))
    assert refused.value.message_dict["amount"] == [
        "Only ¥149,900.45 is still open on this invoice: a payment cannot be more."
    ]
    client = api(personas.alice)
    answer = client.patch(
        f"/api/v1/receivables/{invoice.pk}/",
        {"paid_amount": "200000"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert answer.status_code == 400
    said = str(answer.json())
    assert "¥200,000" in said and "¥150,000.45" in said, said


def test_a_payment_with_two_problems_is_told_both_at_once(personas, login, api):
    """A day before the invoice and more than is open: both fields' problems in one
    answer, on the page and in the API, and nothing paid."""
    invoice = an_invoice(personas, amount=D("1000"))
    before_issue = (invoice.issued_on - datetime.timedelta(days=1)).isoformat()
    page = login(personas.alice).post(
        f"/receivables/{invoice.pk}/pay/",
        {"amount": "5000", "paid_on": before_issue, "version": invoice.version},
    )
    assert page.status_code == 400
    errors = page.context["form"].errors
    assert "before the invoice was issued" in errors["paid_on"][0]
    assert errors["amount"] == [
        "Only ¥1,000 is still open on this invoice: a payment cannot be more."
    ]
    answer = api(personas.alice).post(
        f"/api/v1/receivables/{invoice.pk}/pay/",
        {"amount": "5000", "paid_on": before_issue},
        format="json",
    )
    assert answer.status_code == 400
    assert set(answer.json()["errors"]) == {"amount", "paid_on"}
    invoice.refresh_from_db()
    assert invoice.paid_amount == 0
