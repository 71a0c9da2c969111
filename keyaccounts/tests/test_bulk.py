"""keyaccounts.bulk: rows written as plain values, by COPY on PostgreSQL and INSERT
elsewhere; ids reserved in advance; foreign keys checked once at the end of a load."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import Account, Contact
from accounts.tests.factories import AccountFactory
from keyaccounts import bulk
from scoring.models import GradeChange, ScoringModel

pytestmark = pytest.mark.django_db

# Text that COPY's formats treat specially, and values of every kind the seed writes.
AWKWARD = [
    'Tab\there, "quoted", comma, semicolon;',
    "Two\nlines\r\nand a backslash \\ and \\N",
    "\\.",  # COPY's end marker, on a line of its own
    "first line\n\\.\nlast line",
    " leading and trailing spaces ",
    "中文，全角标点；还有引号“”",
    "",
]


def account_values(owner, n: int, notes: str) -> dict:
    return {
        "external_id": f"bulk-{n}",
        "name": f"Bulk {n}",
        "name_key": f"bulk{n}",
        "industry": "energy",
        "owner_id": owner.pk,
        "annual_budget": Decimal("1234.50"),
        "our_share": None,
        "employees": 1200 + n,
        "notes": notes,
        "change_seq": 10**9 + n,
    }


def stored(external_ids) -> list[tuple]:
    return list(
        Account.all_objects.filter(external_id__in=external_ids)
        .order_by("external_id")
        .values_list(
            "external_id",
            "name",
            "notes",
            "annual_budget",
            "our_share",
            "employees",
            "credit_rating",
            "created_at",
            "updated_at",
            "change_seq",
            "version",
        )
    )


def expected(rows: list[dict], now) -> list[tuple]:
    return sorted(
        (
            row["external_id"],
            row["name"],
            row["notes"],
            row["annual_budget"],
            row["our_share"],
            row["employees"],
            "unrated",  # the field's default
            now,
            now,
            row["change_seq"],
            1,
        )
        for row in rows
    )


@pytest.mark.parametrize("use_copy", [True, False], ids=["copy", "insert"])
def test_rows_arrive_exactly_as_given(personas, monkeypatch, use_copy):
    monkeypatch.setattr(bulk, "USE_COPY", use_copy)
    monkeypatch.setattr(bulk, "COPY_FROM", 1)  # COPY from the first row, where it can
    now = timezone.now()
    rows = bulk.Rows(Account, now=now, without=["id"])
    values = [account_values(personas.alice, n, notes) for n, notes in enumerate(AWKWARD)]
    for row in values:
        rows.add(row)

    assert rows.write() == len(AWKWARD)

    assert stored([row["external_id"] for row in values]) == expected(values, now)


def test_json_dates_and_booleans_by_copy_and_by_insert(require_postgres, personas, monkeypatch):
    monkeypatch.setattr(bulk, "COPY_FROM", 1)
    model = ScoringModel.objects.get(is_active=True)
    when = datetime.datetime(
        2025, 3, 4, 9, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=8))
    )
    contributions = [{"key": "budget", "raw": 'a\tb\n"c"', "points": 40, "contribution": 6.0}]
    columns = ["account_id", "from_grade", "to_grade", "score", "model_id", "reason", "note"]
    columns += ["contributions", "changed_at"]
    for use_copy, note in [(True, "by COPY"), (False, "by INSERT")]:
        monkeypatch.setattr(bulk, "USE_COPY", use_copy)
        row = [personas.account.pk, "", "B", Decimal("61.5"), model.pk, "first", note]
        bulk.insert_rows(GradeChange, columns, [row + [contributions, when]])

    changes = GradeChange.objects.filter(account=personas.account).order_by("note")
    assert [(c.note, c.score, c.contributions, c.changed_at) for c in changes] == [
        ("by COPY", Decimal("61.5"), contributions, when),
        ("by INSERT", Decimal("61.5"), contributions, when),
    ]


def test_an_empty_string_for_a_nullable_text_column_is_refused(personas):
    row = account_values(personas.alice, 1, "")
    row["external_id"] = ""
    rows = bulk.Rows(Account, now=timezone.now(), without=["id"])
    rows.add(row)

    with pytest.raises(ValueError, match="accounts_account.external_id: give None"):
        rows.write()
    assert not Account.all_objects.filter(name="Bulk 1").exists()


def test_reserved_ids_are_new_increasing_and_never_handed_out_again(personas):
    before = set(Account.all_objects.values_list("pk", flat=True))
    ids = bulk.reserve_ids(Account, 5)
    rows = bulk.Rows(Account, now=timezone.now())
    for pk, n in zip(ids, range(5), strict=True):
        rows.add({**account_values(personas.alice, n, ""), "id": pk})
    rows.write()

    later = AccountFactory()

    assert ids == sorted(ids) and len(set(ids)) == 5 and not before & set(ids)
    assert later.pk not in ids
    assert set(
        Account.all_objects.filter(external_id__startswith="bulk-").values_list("pk", flat=True)
    ) == set(ids)


def test_change_numbers_are_a_block_of_the_counter(db):
    first = bulk.change_numbers(3)
    second = bulk.change_numbers(2)

    assert len(first) == 3 and len(second) == 2
    assert list(first) == list(range(first[0], first[0] + 3))
    assert second[0] > first[-1]


# --- PostgreSQL: COPY in the background, foreign keys checked once ------------------------


def test_background_copies_are_written_before_the_next_query(require_postgres, personas):
    rows = bulk.Rows(Account, now=timezone.now(), without=["id"])
    with bulk.copy_in_background():
        for n in range(3):
            rows.add(account_values(personas.alice, n, f"row {n}"))
            rows.write()
            # A query waits for the COPYs sent before it: it sees their rows.
            assert Account.all_objects.filter(external_id__startswith="bulk-").count() == n + 1
        main = threading.current_thread()
        assert any(t.name == "copy-in-background" and t is not main for t in threading.enumerate())
    assert not any(t.name == "copy-in-background" for t in threading.enumerate())


def test_a_failed_background_copy_is_raised_as_a_database_error(require_postgres, personas):
    rows = bulk.Rows(Account, now=timezone.now(), without=["id"])
    row = account_values(personas.alice, 1, "")
    with pytest.raises(IntegrityError, match="external_id"):
        with transaction.atomic(), bulk.copy_in_background():
            rows.add(row)
            rows.add(row)  # the same external ID twice
            rows.write()
    assert not Account.all_objects.filter(external_id="bulk-1").exists()


def foreign_keys(tables) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated"
            " FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])"
            " ORDER BY 1, 2",
            [tables],
        )
        return cursor.fetchall()


def test_foreign_keys_come_back_as_they_were(require_postgres, personas):
    tables = [Account._meta.db_table, Contact._meta.db_table]
    before = foreign_keys(tables)
    assert before and all("DEFERRABLE INITIALLY DEFERRED" in row[2] for row in before)

    with transaction.atomic(), bulk.foreign_keys_checked_once([Account, Contact]):
        assert foreign_keys(tables) == []

    assert foreign_keys(tables) == before


def test_a_row_pointing_nowhere_fails_the_load(require_postgres, personas):
    row = {**account_values(personas.alice, 1, ""), "owner_id": 10**9}
    rows = bulk.Rows(Account, now=timezone.now(), without=["id"])
    rows.add(row)
    with pytest.raises(IntegrityError, match="owner_id"):
        with transaction.atomic(), bulk.foreign_keys_checked_once([Account]):
            rows.write()
    assert not Account.all_objects.filter(external_id="bulk-1").exists()
    assert foreign_keys([Account._meta.db_table])


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("use_copy", [True, False], ids=["copy", "insert"])
def test_an_upsert_outside_any_transaction_writes_every_row(personas, monkeypatch, use_copy):
    # The COPY upsert goes through a staging table that empties at each commit: on a
    # connection that autocommits, its statements must still share one transaction.
    from scoring.models import RescoreRequest

    monkeypatch.setattr(bulk, "USE_COPY", use_copy)
    accounts = AccountFactory.create_batch(bulk.COPY_FROM + 1, owner=personas.alice)
    RescoreRequest.objects.all().delete()
    assert not connection.in_atomic_block
    then = timezone.now() - datetime.timedelta(hours=1)
    rows = [(account.pk, then) for account in accounts]
    bulk.insert_rows(RescoreRequest, ["account_id", "requested_at"], rows)
    now = timezone.now()
    bulk.insert_rows(
        RescoreRequest,
        ["account_id", "requested_at"],
        [(account.pk, now) for account in accounts],
        update_on_conflict="account_id",
    )
    stored = dict(RescoreRequest.objects.values_list("account_id", "requested_at"))
    assert stored == {account.pk: now for account in accounts}
