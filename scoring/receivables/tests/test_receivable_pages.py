"""The invoice pages: visibility (404 outside the rule), the list's scope and filters,
recording with the payment terms' due date, refusals on the form with nothing written,
payments, the recycle bin, the account page's money section, constant query counts."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import AccountFactory
from keyaccounts.pytest_plugin import assert_not_found_for
from keyaccounts.recyclebin.models import Deletion
from scoring.models import MonthlySales
from scoring.receivables import services
from scoring.receivables.models import Receivable

pytestmark = pytest.mark.django_db
D = Decimal


def today():
    return timezone.localdate()


def days(n: int) -> datetime.date:
    """`n` days from today (negative: ago)."""
    return today() + datetime.timedelta(days=n)


def invoice(personas, number: str, *, due: int, amount="1000", paid="0", by=None, account=None):
    """An invoice due `due` days from today (negative: overdue), issued 30 days before."""
    return services.receivable_create(
        by=by or personas.alice,
        account=account or personas.account,
        invoice_number=number,
        issued_on=days(due - 30),
        due_on=days(due),
        amount=D(amount),
        paid_amount=D(paid),
    )


def ids_on(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'data-receivable="(\d+)"', html)}


def listed(client, query: str = "") -> set[int]:
    response = client.get(f"/receivables/{query}")
    assert response.status_code == 200
    return ids_on(response.content.decode())


def form_data(**fields) -> dict:
    data = {
        "invoice_number": "FP20260001",
        "issued_on": days(-10).isoformat(),
        "due_on": "",
        "amount": "50000",
        "paid_amount": "",
        "paid_on": "",
        "note": "",
        "external_id": "",
    }
    data.update(fields)
    return data


def create(client, account, **fields):
    url = f"/accounts/{account.pk}/receivables/new/"
    token = client.get(url).context["form_token"]
    return client.post(url, {**form_data(**fields), "form_token": token})


# --- visibility ----------------------------------------------------------------------------


def test_someone_outside_the_rule_gets_404_everywhere(personas, login):
    receivable = invoice(personas, "FP-A-1", due=-10)
    client = login(personas.charlie)
    pk = receivable.pk
    assert_not_found_for(
        client,
        [
            ("get", f"/receivables/{pk}/", None),
            ("get", f"/receivables/{pk}/edit/", None),
            ("post", f"/receivables/{pk}/edit/", form_data(invoice_number="X")),
            ("get", f"/receivables/{pk}/pay/", None),
            ("post", f"/receivables/{pk}/pay/", {"paid_on": today().isoformat()}),
            ("get", f"/receivables/{pk}/history/", None),
            ("get", f"/receivables/{pk}/delete/", None),
            ("post", f"/receivables/{pk}/delete/", None),
            ("get", f"/accounts/{personas.account.pk}/receivables/new/", None),
            ("post", f"/accounts/{personas.account.pk}/receivables/new/", form_data()),
        ],
    )
    assert listed(client) == set()
    # ?account= of an account he cannot see: an error on the form, never its invoices
    assert listed(client, f"?account={personas.account.pk}") == set()
    receivable.refresh_from_db()
    assert receivable.paid_amount == 0 and receivable.deleted_at is None
    assert Receivable.all_objects.count() == 1


def test_the_list_shows_what_each_person_may_see(personas, login):
    mine = invoice(personas, "FP-A-1", due=-10)
    theirs = invoice(
        personas, "FP-C-1", due=-10, by=personas.charlie, account=personas.charlies_account
    )
    assert listed(login(personas.bob)) == {mine.pk}
    assert listed(login(personas.manager)) == {mine.pk}
    assert listed(login(personas.carol)) == set()  # same team, not on the account team
    assert listed(login(personas.charlie)) == {theirs.pk}
    assert listed(login(personas.admin)) == {mine.pk, theirs.pk}


# --- the list's filters ------------------------------------------------------------------


@pytest.fixture
def book(personas):
    """One invoice in each bucket, a partly paid one, and a paid one long overdue."""
    return {
        "current": invoice(personas, "FP-CUR", due=5),
        "due_today": invoice(personas, "FP-TODAY", due=0),
        "days_1_30": invoice(personas, "FP-10", due=-10, paid="400"),
        "days_31_60": invoice(personas, "FP-45", due=-45),
        "days_61_90": invoice(personas, "FP-75", due=-75),
        "over_90": invoice(personas, "FP-120", due=-120),
        "paid": invoice(personas, "FP-PAID", due=-120, paid="1000"),
        "other": invoice(
            personas,
            "FP-OTHER",
            due=-120,
            account=AccountFactory(owner=personas.alice, name="宁波港务"),
        ),
    }


@pytest.mark.parametrize(
    "query, expected",
    [
        (
            "?status=open",
            {"current", "due_today", "days_1_30", "days_31_60", "days_61_90", "over_90", "other"},
        ),
        ("?status=paid", {"paid"}),
        ("?overdue=overdue", {"days_1_30", "days_31_60", "days_61_90", "over_90", "other"}),
        ("?overdue=current", {"current", "due_today"}),
        ("?overdue=days_1_30", {"days_1_30"}),
        ("?overdue=days_31_60", {"days_31_60"}),
        ("?overdue=days_61_90", {"days_61_90"}),
        ("?overdue=over_90", {"over_90", "other"}),
        ("?overdue=over_90&status=paid", set()),
        ("?q=fp-1", {"days_1_30", "over_90"}),  # part of the number, any case
        ("?q=宁波", {"other"}),  # the account's name
    ],
)
def test_filters_give_the_right_rows(personas, login, book, query, expected):
    got = listed(login(personas.alice), query)
    assert got == {book[key].pk for key in expected}, query


def test_the_account_and_due_date_filters(personas, login, book):
    client = login(personas.alice)
    other = book["other"].account
    assert listed(client, f"?account={other.pk}") == {book["other"].pk}
    start, end = days(-80).isoformat(), days(-40).isoformat()
    assert listed(client, f"?due_from={start}&due_to={end}") == {
        book["days_31_60"].pk,
        book["days_61_90"].pk,
    }


@pytest.mark.parametrize(
    "query, field",
    [
        ("?overdue=someday", "overdue"),
        ("?status=maybe", "status"),
        ("?due_from=2026-13-40", "due_from"),
        ("?due_from=2026-06-01&due_to=2026-05-01", "due_to"),
        ("?account=999999999", "account"),
    ],
)
def test_a_bad_filter_is_a_form_error_never_a_500(personas, login, book, query, field):
    response = login(personas.alice).get(f"/receivables/{query}")
    assert response.status_code == 200
    assert field in response.context["filter"].form.errors
    assert 'class="error"' in response.content.decode()


def test_a_bad_filter_is_left_out_and_the_others_still_apply_on_the_page_and_its_export(
    personas, login, book
):
    """The list and its file hold what the readable filters choose (they showed every
    invoice once any filter could not be read)."""
    client = login(personas.alice)
    paid_only = {book["paid"].pk}

    assert listed(client, "?status=paid&overdue=bogus") == paid_only
    exported = client.get(
        "/export/receivables/", {"status": "paid", "overdue": "bogus", "format": "csv"}
    )
    lines = b"".join(exported.streaming_content).decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 1 + len(paid_only)  # the header and the paid invoice


def test_a_range_ending_before_it_starts_is_left_out_whole(personas, login, book):
    """Refused on its end: its start alone would list part of what neither bound meant."""
    client = login(personas.alice)
    everything = listed(client, "")
    start, end = days(-40).isoformat(), days(-80).isoformat()
    assert listed(client, f"?due_from={start}&due_to={end}") == everything
    exported = client.get(
        "/export/receivables/", {"due_from": start, "due_to": end, "format": "csv"}
    )
    lines = b"".join(exported.streaming_content).decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 1 + len(everything)


def test_the_list_says_how_overdue_in_words(personas, login, book):
    html = login(personas.alice).get("/receivables/").content.decode()
    assert "Over 90 days overdue" in html and "31–60 days overdue" in html
    assert "Not yet due" in html and ">Paid<" in html
    assert "45 days overdue" in html
    assert "¥600" in html  # what is open of the partly paid one
    assert "/export/receivables/?format=csv" in html


def test_the_list_costs_the_same_queries_for_2_or_25_rows(personas, login):
    client = login(personas.alice)
    for n in range(2):
        invoice(personas, f"FP-S{n}", due=-n)

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/receivables/?status=open").status_code == 200
        return len(captured)

    small = count()
    for n in range(23):
        account = AccountFactory(owner=personas.alice)
        invoice(personas, f"FP-L{n}", due=-n * 7, account=account)
    assert len(listed(client, "?status=open")) == 25
    assert count() == small


# --- recording -----------------------------------------------------------------------------


def test_an_empty_due_date_is_the_issue_date_plus_the_accounts_terms(personas, login):
    account = personas.account
    account.payment_terms_days = 45
    account.save()
    client = login(personas.bob)
    form = client.get(f"/accounts/{account.pk}/receivables/new/").content.decode()
    assert "payment terms (45 days)" in form
    response = create(client, account, issued_on="2026-03-01")
    receivable = Receivable.objects.get(invoice_number="FP20260001")
    assert response.status_code == 302 and response["Location"] == f"/receivables/{receivable.pk}/"
    assert receivable.due_on == datetime.date(2026, 4, 15)
    assert receivable.paid_amount == 0 and receivable.recorded_by == personas.bob
    detail = client.get(f"/receivables/{receivable.pk}/").content.decode()
    assert "2026-04-15" in detail and "¥50,000" in detail
    assert client.get(f"/receivables/{receivable.pk}/history/").status_code == 200


def error_of(response, field: str) -> str:
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    return " ".join(errors[field])


@pytest.mark.parametrize(
    "fields, field, words",
    [
        ({"amount": "1000", "paid_amount": "1500"}, "paid_amount", "cannot be more than"),
        ({"issued_on": "2026-05-10", "due_on": "2026-05-01"}, "due_on", "before the issue date"),
        ({"amount": "-5"}, "amount", "must be more than 0"),
        ({"issued_on": "next week"}, "issued_on", "valid date"),
        ({"invoice_number": ""}, "invoice_number", "required"),
    ],
)
def test_bad_input_is_shown_beside_its_field_and_writes_nothing(
    personas, login, fields, field, words
):
    client = login(personas.alice)
    response = create(client, personas.account, **fields)
    assert words in error_of(response, field)
    assert "what you typed is kept" in response.content.decode()
    assert response.context["form"]["note"].value() == ""
    assert Receivable.all_objects.count() == 0


def test_a_number_the_account_has_already_is_refused_beside_it(personas, login):
    invoice(personas, "FP20260001", due=10)
    client = login(personas.alice)
    response = create(client, personas.account, note="second try")
    assert "already has an invoice FP20260001" in error_of(response, "invoice_number")
    assert response.context["form"]["note"].value() == "second try"  # nothing lost
    assert Receivable.all_objects.count() == 1
    # another account may have the same number
    other = AccountFactory(owner=personas.alice)
    assert create(client, other).status_code == 302


def test_editing_keeps_the_rules(personas, login):
    receivable = invoice(personas, "FP-E", due=-10, amount="1000")
    client = login(personas.bob)
    url = f"/receivables/{receivable.pk}/edit/"
    page = client.get(url)
    assert page.status_code == 200
    data = form_data(
        invoice_number="FP-E",
        issued_on=receivable.issued_on.isoformat(),
        due_on=receivable.due_on.isoformat(),
        amount="1000",
        paid_amount="1200",
        version=receivable.version,
    )
    assert "cannot be more than" in error_of(client.post(url, data), "paid_amount")
    receivable.refresh_from_db()
    assert receivable.paid_amount == 0
    data["paid_amount"] = "300"
    assert client.post(url, data).status_code == 302
    receivable.refresh_from_db()
    assert receivable.paid_amount == D(300) and receivable.version == 2


# --- payments ----------------------------------------------------------------------------


def test_recording_payments_until_it_is_paid(personas, login):
    receivable = invoice(personas, "FP-P", due=-40, amount="1000")
    client = login(personas.bob)
    url = f"/receivables/{receivable.pk}/pay/"
    page = client.get(url)
    assert page.status_code == 200 and "Record the payment" in page.content.decode()
    yesterday = days(-1).isoformat()
    response = client.post(url, {"amount": "300", "paid_on": yesterday})
    assert response.status_code == 302
    receivable.refresh_from_db()
    assert (receivable.paid_amount, receivable.paid_on) == (D(300), days(-1))
    # more than is open: refused beside the amount, nothing written
    refused = client.post(url, {"amount": "800", "paid_on": yesterday})
    assert refused.status_code == 400
    assert "Only ¥700" in " ".join(refused.context["form"].errors["amount"])
    # dated tomorrow: refused
    later = client.post(url, {"amount": "100", "paid_on": days(1).isoformat()})
    assert "after today" in " ".join(later.context["form"].errors["paid_on"])
    receivable.refresh_from_db()
    assert receivable.paid_amount == D(300)
    # empty amount: all that is open
    assert client.post(url, {"amount": "", "paid_on": today().isoformat()}).status_code == 302
    receivable.refresh_from_db()
    assert receivable.is_paid and receivable.paid_on == today()
    detail = client.get(f"/receivables/{receivable.pk}/").content.decode()
    assert ">Paid<" in detail and "Record a payment" not in detail
    again = client.post(url, {"amount": "1", "paid_on": today().isoformat()})
    assert again.status_code == 400 and "paid in full" in again.content.decode()
    assert receivable.version + 0 == Receivable.objects.get(pk=receivable.pk).version


def test_an_empty_payment_post_writes_nothing(personas, login):
    receivable = invoice(personas, "FP-Q", due=-40, amount="1000")
    response = login(personas.alice).post(f"/receivables/{receivable.pk}/pay/", {})
    assert response.status_code == 400
    assert "paid_on" in response.context["form"].errors
    receivable.refresh_from_db()
    assert receivable.paid_amount == 0


# --- the recycle bin ----------------------------------------------------------------------


def test_delete_moves_it_to_the_recycle_bin(personas, login):
    receivable = invoice(personas, "FP-D", due=-40, by=personas.bob)
    other = invoice(personas, "FP-D2", due=-40, by=personas.alice)
    # bob recorded the first: he may delete it; not alice's (he neither owns the account
    # nor manages)
    client = login(personas.bob)
    ask = client.get(f"/receivables/{other.pk}/delete/")
    assert ask.status_code == 200 and ask.context["refusal"]
    client.post(f"/receivables/{other.pk}/delete/", {"version": other.version})
    assert Receivable.objects.filter(pk=other.pk).exists()
    page = client.get(f"/receivables/{receivable.pk}/delete/")
    assert page.status_code == 200 and not page.context["refusal"]
    response = client.post(f"/receivables/{receivable.pk}/delete/", {"version": receivable.version})
    assert response.status_code == 302
    assert response["Location"] == f"/receivables/?account={personas.account.pk}"
    stored = Receivable.all_objects.get(pk=receivable.pk)
    assert stored.deleted_at is not None
    assert Deletion.objects.filter(deleted_by=personas.bob).count() == 1
    assert listed(client) == {other.pk}
    assert client.get(f"/receivables/{receivable.pk}/").status_code == 404
    assert client.get(f"/receivables/{receivable.pk}/history/").status_code == 200


# --- the account page --------------------------------------------------------------------


def test_the_account_page_lists_its_open_invoices_and_says_where_the_ageing_comes_from(
    personas, login
):
    account = personas.account
    client = login(personas.alice)
    MonthlySales.objects.create(
        account=account, month=today().replace(day=1), sales=D(100), receivables=D(100)
    )
    html = client.get(account.get_absolute_url()).content.decode()
    assert "Estimated from month-end balances (no invoices on record)." in html
    assert f"/accounts/{account.pk}/receivables/new/" in html
    assert ids_on(html) == set()
    late = invoice(personas, "FP-OLD", due=-100, amount="8000")
    soon = invoice(personas, "FP-NEW", due=20, amount="2000", paid="500")
    paid = invoice(personas, "FP-DONE", due=-50, paid="1000")
    html = client.get(account.get_absolute_url()).content.decode()
    assert "From 2 open invoices." in html
    assert ids_on(html) == {late.pk, soon.pk} and paid.pk not in ids_on(html)
    assert html.index("FP-OLD") < html.index("FP-NEW")  # most overdue first
    assert "Over 90 days overdue" in html and "¥1,500" in html
    assert f"/receivables/?account={account.pk}" in html


def test_the_account_page_shows_ten_and_costs_the_same_queries(personas, login):
    account = personas.account
    client = login(personas.alice)
    MonthlySales.objects.create(
        account=account, month=today().replace(day=1), sales=D(100), receivables=D(100)
    )
    client.get(account.get_absolute_url())

    def count():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(account.get_absolute_url())
        return len(captured), response.content.decode()

    from_months, _html = count()
    invoice(personas, "FP-1", due=-3)
    one, html = count()
    assert "From 1 open invoice." in html
    for n in range(13):
        invoice(personas, f"FP-M{n:02d}", due=-n * 10)
    many, html = count()
    assert "From 14 open invoices." in html and "(10 of 14)" in html
    assert len(ids_on(html)) == 10
    assert from_months == one == many


def test_a_constraint_the_service_refuses_lands_beside_its_field(personas):
    """Only a race gets past the form's own checks; the service's refusal (the model's
    constraints, as an error of the whole form) is then moved beside its field."""
    from django.core.exceptions import ValidationError

    from accounts.views import add_errors
    from scoring.receivables.forms import ReceivableForm
    from scoring.receivables.views import beside_their_fields

    invoice(personas, "FP-RACE", due=10)
    account = personas.account
    form = ReceivableForm(
        form_data(invoice_number="FP-OTHER"), instance=Receivable(account=account), account=account
    )
    assert form.is_valid()
    with pytest.raises(ValidationError) as refused:
        services.receivable_create(
            by=personas.alice,
            account=account,
            invoice_number="FP-RACE",
            issued_on=days(0),
            due_on=days(-1),
            amount=D(5),
            paid_amount=D(9),
        )
    add_errors(form, refused.value)
    beside_their_fields(form)
    assert "already has an invoice" in " ".join(form.errors["invoice_number"])
    assert "cannot exceed" in " ".join(form.errors["paid_amount"])
    assert "before the issue date" in " ".join(form.errors["due_on"])
    assert not form.non_field_errors()
