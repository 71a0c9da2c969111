"""/api/v1/receivables/: invoices through the API — the default due date, clear 400s, pay/,
visibility, the recycle bin, the list's filters and its cost (the sync contract itself:
keyaccounts/tests/test_api_sync_contract.py, which covers this type too)."""

import datetime
import json
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.tests.factories import AccountFactory
from scoring.receivables.models import Receivable
from scoring.receivables.services import receivable_create

pytestmark = pytest.mark.django_db
URL = "/api/v1/receivables/"


def payload(personas, **fields):
    return {
        "account": personas.account.pk,
        "invoice_number": "FP-2026-0001",
        "issued_on": "2026-10-01",
        "amount": "1000.00",
        **fields,
    }


def invoice(account, by, *, number, due_on, amount="1000", paid="0", **fields):
    return receivable_create(
        by=by,
        account=account,
        invoice_number=number,
        issued_on=due_on - datetime.timedelta(days=30),
        due_on=due_on,
        amount=Decimal(amount),
        paid_amount=Decimal(paid),
        **fields,
    )


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


# --- create: the due date from the account's payment terms ---------------------------------


def test_create_without_a_due_date_takes_the_accounts_payment_terms(personas, api):
    personas.account.payment_terms_days = 45
    personas.account.save()
    client = api(personas.bob)

    created = client.post(URL, payload(personas), format="json")

    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["due_on"] == "2026-11-15"  # October 1 + 45 days
    assert (body["amount"], body["paid_amount"], body["open_amount"]) == (
        "1000.00",
        "0.00",
        "1000.00",
    )
    assert body["recorded_by"] == personas.bob.pk
    assert body["account"] == personas.account.pk
    assert created["ETag"] == '"1"' and created["Location"] == f"{URL}{body['id']}/"


def test_an_account_without_terms_gets_the_default_terms_and_a_given_date_is_kept(personas, api):
    other = AccountFactory(owner=personas.alice, payment_terms_days=None)
    client = api(personas.alice)

    default = client.post(URL, payload(personas, account=other.pk), format="json")
    given = client.post(
        URL, payload(personas, invoice_number="FP-2", due_on="2026-10-20"), format="json"
    )

    days = settings.DEFAULT_PAYMENT_TERMS_DAYS
    expected = datetime.date(2026, 10, 1) + datetime.timedelta(days=days)
    assert default.status_code == 201, default.json()
    assert default.json()["due_on"] == expected.isoformat()
    assert given.status_code == 201, given.json()
    assert given.json()["due_on"] == "2026-10-20"


def test_a_due_date_set_to_null_goes_back_to_the_payment_terms(personas, api):
    personas.account.payment_terms_days = 60
    personas.account.save()
    client = api(personas.alice)
    made = client.post(URL, payload(personas, due_on="2026-10-10"), format="json").json()

    patched = client.patch(f"{URL}{made['id']}/", {"due_on": None}, format="json")
    empty = client.post(URL, payload(personas, invoice_number="FP-2", due_on=""), format="json")

    assert patched.status_code == 200, patched.json()
    assert patched.json()["due_on"] == "2026-11-30"
    assert patched.json()["version"] == 2
    assert empty.status_code == 201, empty.json()
    assert empty.json()["due_on"] == "2026-11-30"  # "" as null: a spreadsheet's empty cell


# --- bad input: 400 naming the field -------------------------------------------------------


@pytest.mark.parametrize(
    "fields, field, words",
    [
        ({"paid_amount": "1000.01"}, "paid_amount", "cannot exceed the invoice's amount"),
        ({"due_on": "2026-09-30"}, "due_on", "cannot be before the issue date"),
        ({"amount": "-1"}, "amount", "greater than or equal to 0"),
        ({"issued_on": "1 Oct"}, "issued_on", "wrong format"),
        ({"invoice_number": ""}, "invoice_number", "may not be blank"),
        ({"invoice_number": "FP\n1"}, "invoice_number", ""),
    ],
)
def test_bad_input_answers_400_naming_the_field(personas, api, fields, field, words):
    response = api(personas.alice).post(URL, payload(personas, **fields), format="json")

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == [field], errors
    assert words in errors[field][0]
    assert not Receivable.all_objects.exists()


def test_a_change_is_checked_against_the_stored_values(personas, api):
    client = api(personas.alice)
    made = client.post(URL, payload(personas, paid_amount="600"), format="json").json()
    url = f"{URL}{made['id']}/"

    below_paid = client.patch(url, {"amount": "500"}, format="json")
    before_issue = client.patch(url, {"issued_on": "2027-01-01"}, format="json")

    assert below_paid.status_code == 400
    assert "¥600" in below_paid.json()["errors"]["paid_amount"][0]
    assert before_issue.status_code == 400
    assert "due_on" in before_issue.json()["errors"]
    assert Receivable.objects.get().version == 1


def test_an_invoice_number_is_unique_per_account_only(personas, api):
    client = api(personas.alice)
    other = AccountFactory(owner=personas.alice)
    first = client.post(URL, payload(personas), format="json")

    again = client.post(URL, payload(personas, invoice_number=" FP-2026-0001 "), format="json")
    elsewhere = client.post(URL, payload(personas, account=other.pk), format="json")
    second = client.post(URL, payload(personas, invoice_number="FP-2026-0002"), format="json")
    renumbered = client.patch(
        f"{URL}{second.json()['id']}/", {"invoice_number": "FP-2026-0001"}, format="json"
    )

    assert first.status_code == 201
    assert again.status_code == 400
    assert "FP-2026-0001" in again.json()["errors"]["invoice_number"][0]
    assert elsewhere.status_code == 201, elsewhere.json()
    assert renumbered.status_code == 400
    assert list(renumbered.json()["errors"]) == ["invoice_number"]


def test_an_invoice_stays_with_its_account(personas, api):
    other = AccountFactory(owner=personas.alice)
    client = api(personas.alice)
    made = client.post(URL, payload(personas), format="json").json()

    moved = client.patch(f"{URL}{made['id']}/", {"account": other.pk}, format="json")

    assert moved.status_code == 400
    assert "stays with its account" in moved.json()["errors"]["account"][0]
    assert Receivable.objects.get().account_id == personas.account.pk


# --- pay/ ------------------------------------------------------------------------------------


def test_pay_part_then_the_rest(personas, api):
    client = api(personas.bob)
    made = client.post(URL, payload(personas), format="json").json()
    pay = f"{URL}{made['id']}/pay/"

    part = client.post(
        pay, {"amount": "400", "paid_on": "2026-10-20"}, format="json", HTTP_IF_MATCH='"1"'
    )
    stale = client.post(pay, {"amount": "100"}, format="json", HTTP_IF_MATCH='"1"')
    rest = client.post(pay, {}, format="json", HTTP_IF_MATCH=part["ETag"])

    assert part.status_code == 200, part.json()
    body = part.json()
    assert (body["paid_amount"], body["open_amount"], body["paid_on"]) == (
        "400.00",
        "600.00",
        "2026-10-20",
    )
    assert part["ETag"] == '"2"' and body["version"] == 2
    assert stale.status_code == 412 and stale["ETag"] == '"2"'
    assert rest.status_code == 200, rest.json()
    body = rest.json()
    assert (body["paid_amount"], body["open_amount"]) == ("1000.00", "0.00")
    assert body["paid_on"] == timezone.localdate().isoformat()
    assert (body["bucket"], body["days_overdue"]) == (None, 0)
    assert rest["ETag"] == '"3"'


def test_pay_more_than_is_open_or_nothing_answers_400_on_amount(personas, api):
    client = api(personas.alice)
    made = client.post(URL, payload(personas, paid_amount="900"), format="json").json()
    pay = f"{URL}{made['id']}/pay/"

    too_much = client.post(pay, {"amount": "100.01"}, format="json")
    nothing = client.post(pay, {"amount": "0"}, format="json")
    not_a_number = client.post(pay, {"amount": "lots"}, format="json")

    assert too_much.status_code == nothing.status_code == not_a_number.status_code == 400
    assert "Only ¥100 is still open" in too_much.json()["errors"]["amount"][0]
    assert "more than 0" in nothing.json()["errors"]["amount"][0]
    assert list(not_a_number.json()["errors"]) == ["amount"]
    stored = Receivable.objects.get()
    assert (stored.paid_amount, stored.version) == (Decimal("900"), 1)


def test_a_retried_payment_with_its_idempotency_key_pays_once(personas, api):
    client = api(personas.alice)
    made = client.post(URL, payload(personas), format="json").json()
    pay = f"{URL}{made['id']}/pay/"

    first = client.post(pay, {"amount": "250"}, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")
    retry = client.post(pay, {"amount": "250"}, format="json", HTTP_IDEMPOTENCY_KEY="pay-1")

    assert first.status_code == retry.status_code == 200
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert Receivable.objects.get().paid_amount == Decimal("250")


# --- who sees what ---------------------------------------------------------------------------


def test_an_invoice_of_an_account_you_cannot_see_answers_404(personas, api):
    theirs = invoice(
        personas.charlies_account,
        personas.charlie,
        number="W-1",
        due_on=datetime.date(2026, 11, 1),
        external_id="W-1",
    )
    client = api(personas.alice)
    url = f"{URL}{theirs.pk}/"

    answers = {
        "get": client.get(url).status_code,
        "patch": client.patch(url, {"note": "x"}, format="json").status_code,
        "pay": client.post(f"{url}pay/", {}, format="json").status_code,
        "delete": client.delete(url).status_code,
        "history": client.get(f"{url}history/").status_code,
        "external": client.get(f"{URL}external/W-1/").status_code,
    }

    assert answers == dict.fromkeys(answers, 404)
    assert ids(client.get(URL)) == []
    theirs.refresh_from_db()
    assert (theirs.version, theirs.paid_amount, theirs.note) == (1, Decimal("0"), "")


def test_creating_an_invoice_at_an_account_you_cannot_see_answers_400_on_account(personas, api):
    hidden = api(personas.alice).post(
        URL, payload(personas, account=personas.charlies_account.pk), format="json"
    )
    nobodys = api(personas.alice).post(URL, payload(personas, account=999999), format="json")

    assert hidden.status_code == nobodys.status_code == 400
    assert list(hidden.json()["errors"]) == list(nobodys.json()["errors"]) == ["account"]
    # The same message for both, but for the id it names.
    hidden_message = hidden.json()["errors"]["account"][0]
    assert (
        hidden_message.replace(str(personas.charlies_account.pk), "999999")
        == (nobodys.json()["errors"]["account"][0])
    )
    assert not Receivable.all_objects.exists()


@pytest.mark.parametrize(
    "who, seen", [("bob", True), ("manager", True), ("carol", False), ("charlie", False)]
)
def test_the_account_team_and_its_manager_see_the_invoice(personas, api, who, seen):
    made = invoice(
        personas.account, personas.alice, number="A-1", due_on=datetime.date(2026, 11, 1)
    )
    client = api(getattr(personas, who))

    assert client.get(f"{URL}{made.pk}/").status_code == (200 if seen else 404)
    assert ids(client.get(URL)) == ([made.pk] if seen else [])


# --- the recycle bin -------------------------------------------------------------------------


def test_delete_moves_the_invoice_to_the_recycle_bin_and_restore_brings_it_back(personas, api):
    made = invoice(
        personas.account, personas.alice, number="A-1", due_on=datetime.date(2026, 11, 1)
    )
    client = api(personas.alice)
    url = f"{URL}{made.pk}/"

    refused = api(personas.bob).delete(url)  # on the team, but neither recorder nor owner
    deleted = client.delete(url)
    gone = client.get(url)
    listed = ids(client.get(URL))
    restored = client.post(f"{url}restore/")

    assert refused.status_code == 403
    assert deleted.status_code == 204
    assert gone.status_code == 404 and listed == []
    assert restored.status_code == 200, restored.json()
    assert (
        restored.json()["id"] == made.pk and restored["ETag"] == f'"{restored.json()["version"]}"'
    )
    assert client.get(url).status_code == 200
    assert ids(client.get(URL)) == [made.pk]


def test_a_number_taken_again_while_in_the_bin_blocks_the_restore(personas, api):
    made = invoice(
        personas.account, personas.alice, number="A-1", due_on=datetime.date(2026, 11, 1)
    )
    client = api(personas.alice)
    client.delete(f"{URL}{made.pk}/")

    again = client.post(URL, payload(personas, invoice_number="A-1"), format="json")
    restore = client.post(f"{URL}{made.pk}/restore/")

    assert again.status_code == 201, again.json()
    assert restore.status_code == 409
    assert restore.json()["code"] == "protected"


# --- the list: filters by status and age, against today ---------------------------------------


@pytest.fixture
def aged(personas):
    """One invoice per bucket, by days overdue today, and one paid long ago."""
    today = timezone.localdate()

    def make(number, days_overdue, **fields):
        due_on = today - datetime.timedelta(days=days_overdue)
        return invoice(personas.account, personas.alice, number=number, due_on=due_on, **fields)

    return {
        "not_due": make("N-1", -10),
        "due_today": make("N-2", 0),
        "late_30": make("N-3", 30),
        "late_31": make("N-4", 31),
        "late_75": make("N-5", 75, paid="400"),  # part paid: still open
        "late_91": make("N-6", 91),
        "paid": make("N-7", 120, paid="1000"),
    }


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"status": "open"}, ["not_due", "due_today", "late_30", "late_31", "late_75", "late_91"]),
        ({"status": "paid"}, ["paid"]),
        ({"overdue": "overdue"}, ["late_30", "late_31", "late_75", "late_91"]),
        ({"overdue": "current"}, ["not_due", "due_today"]),
        ({"overdue": "days_1_30"}, ["late_30"]),
        ({"overdue": "days_31_60"}, ["late_31"]),
        ({"overdue": "days_61_90"}, ["late_75"]),
        ({"overdue": "over_90"}, ["late_91"]),
        ({"status": "open", "overdue": "over_90"}, ["late_91"]),
    ],
)
def test_the_list_filters_by_status_and_age(personas, api, aged, query, expected):
    got = ids(api(personas.alice).get(URL, query))

    assert sorted(got) == sorted(aged[name].pk for name in expected)


def test_each_row_says_its_days_overdue_and_bucket_as_the_filters_count_them(personas, api, aged):
    client = api(personas.alice)
    rows = {row["id"]: row for row in client.get(URL).json()["results"]}
    shown = {name: (rows[r.pk]["days_overdue"], rows[r.pk]["bucket"]) for name, r in aged.items()}

    assert shown == {
        "not_due": (0, "current"),
        "due_today": (0, "current"),
        "late_30": (30, "days_1_30"),
        "late_31": (31, "days_31_60"),
        "late_75": (75, "days_61_90"),
        "late_91": (91, "over_90"),
        "paid": (0, None),
    }
    assert rows[aged["late_75"].pk]["open_amount"] == "600.00"
    for bucket in ("current", "days_1_30", "days_31_60", "days_61_90", "over_90"):
        filtered = ids(client.get(URL, {"overdue": bucket}))
        assert sorted(filtered) == sorted(pk for pk, row in rows.items() if row["bucket"] == bucket)


def test_the_list_is_in_due_date_order_and_filters_by_due_range_and_account(personas, api, aged):
    client = api(personas.alice)
    today = timezone.localdate()
    other = AccountFactory(owner=personas.alice)
    elsewhere = invoice(other, personas.alice, number="N-1", due_on=today)

    everything = ids(client.get(URL))
    in_range = ids(
        client.get(
            URL,
            {
                "due_from": (today - datetime.timedelta(days=31)).isoformat(),
                "due_to": today.isoformat(),
            },
        )
    )
    at_other = ids(client.get(URL, {"account": other.pk}))

    by_due = sorted([*aged.values(), elsewhere], key=lambda r: (r.due_on, r.pk))
    assert everything == [r.pk for r in by_due]
    assert sorted(in_range) == sorted(
        [aged["due_today"].pk, aged["late_30"].pk, aged["late_31"].pk, elsewhere.pk]
    )
    assert at_other == [elsewhere.pk]


def test_the_list_finds_an_invoice_by_external_id(personas, api):
    due = datetime.date(2026, 11, 1)
    mine = invoice(personas.account, personas.alice, number="X-1", due_on=due, external_id="E-7")
    invoice(personas.account, personas.alice, number="X-2", due_on=due, external_id="E-8")

    assert ids(api(personas.alice).get(URL, {"external_id": "E-7"})) == [mine.pk]


@pytest.mark.parametrize(
    "query, field",
    [
        ({"overdue": "late"}, "overdue"),
        ({"status": "unpaid"}, "status"),
        ({"status": ""}, "status"),
        ({"due_from": "yesterday"}, "due_from"),
        ({"account": "x"}, "account"),
    ],
)
def test_a_filter_value_it_cannot_read_answers_400_naming_it(personas, api, query, field):
    response = api(personas.alice).get(URL, query)

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_list_of_invoices_costs_the_same_queries_at_2_and_20_rows(
    personas, api, django_assert_max_num_queries
):
    client = api(personas.alice)
    due = datetime.date(2026, 11, 1)

    def make(numbers) -> None:
        for n in numbers:
            invoice(personas.account, personas.alice, number=f"Q-{n}", due_on=due)

    make(range(2))
    with CaptureQueriesContext(connection) as at_two:
        response = client.get(URL)
    assert len(response.json()["results"]) == 2

    make(range(2, 20))
    with django_assert_max_num_queries(len(at_two)):
        response = client.get(URL)
    assert len(response.json()["results"]) == 20


# --- bulk: the upsert and the asynchronous job ------------------------------------------------


def test_bulk_upserts_invoices_by_external_id_with_an_error_per_item(personas, api):
    client = api(personas.alice)
    item = payload(personas, external_id="ERP-1")
    client.post(f"{URL}bulk/", [item], format="json")

    response = client.post(
        f"{URL}bulk/",
        [
            {**item, "paid_amount": "300"},  # a payment from the ERP
            payload(personas, external_id="ERP-2", invoice_number="FP-2026-0002"),
            payload(personas, external_id="ERP-3", invoice_number="FP-2026-0001"),  # taken
        ],
        format="json",
    )

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["updated", "created", "error"]
    assert list(results[2]["errors"]) == ["invoice_number"]
    assert Receivable.objects.get(external_id="ERP-1").paid_amount == Decimal("300")


def test_a_bulk_job_of_receivables_runs_through_the_same_upsert(personas, api):
    client = api(personas.alice)
    body = "".join(
        json.dumps(payload(personas, external_id=f"J-{n}", invoice_number=f"J-{n}")) + "\n"
        for n in range(3)
    ).encode()

    with TestCase.captureOnCommitCallbacks(execute=True):  # the job runs inline here
        response = client.post(
            "/api/v1/jobs/?type=receivables", body, content_type="application/x-ndjson"
        )

    assert response.status_code == 202, response.content
    job = client.get(response["Location"]).json()
    assert (job["type"], job["status"], job["created"], job["failed"]) == (
        "receivables",
        "done",
        3,
        0,
    )
    assert Receivable.objects.filter(external_id__startswith="J-").count() == 3


def test_an_invoice_number_typed_full_width_is_the_same_number(personas, api):
    """ＦＰ２０２６１２０１ from a Chinese input method is FP20261201: kept in half-width,
    and the same number again is refused as the account's invoice already."""
    client = api(personas.alice)
    first = client.post(
        URL, payload(personas, invoice_number="ＦＰ２０２６１２０１"), format="json"
    )
    assert first.status_code == 201, first.json()
    assert first.json()["invoice_number"] == "FP20261201"
    again = client.post(URL, payload(personas, invoice_number="FP20261201"), format="json")
    assert again.status_code == 400
    assert "invoice_number" in again.json()["errors"]
