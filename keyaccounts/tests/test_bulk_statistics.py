"""`keyaccounts.bulk.analyze_grown`: a table that a load doubled is analysed between its
chunks (PostgreSQL), so its later chunks are planned with statistics of its real size."""

import time

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from keyaccounts.bulk import ANALYZE_FROM_ROWS, analyze_grown


def _statistics(table: str) -> tuple[int, float]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.n_mod_since_analyze, c.reltuples FROM pg_stat_user_tables s "
            "JOIN pg_class c ON c.oid = s.relid WHERE s.relid = %s::regclass",
            [table],
        )
        return cursor.fetchone()


def _analyze(table: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def _when_counted(table: str, rows: int) -> None:
    """PostgreSQL counts a committed change in its statistics within a second or so."""
    deadline = time.monotonic() + 10
    while _statistics(table)[0] < rows:
        assert time.monotonic() < deadline, "PostgreSQL never counted the rows"
        time.sleep(0.2)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_table_grown_past_its_statistics_is_analysed_once(require_postgres):
    table = Group._meta.db_table
    _analyze(table)  # whatever tests before left: analysed, empty, nothing changed since
    rows = ANALYZE_FROM_ROWS + 200
    Group.objects.bulk_create([Group(name=f"load {n}") for n in range(rows)])
    _when_counted(table, rows)
    assert _statistics(table)[1] < rows  # planned as smaller than it is (empty)

    assert analyze_grown([Group]) == [table]
    assert _statistics(table) == (0, rows)  # analysed: its real size, nothing since
    assert analyze_grown([Group]) == []  # nothing grew since

    # A few more rows than the threshold, but not as many as the table holds: left to
    # autovacuum (a load analyses as a table doubles, not after every chunk).
    Group.objects.bulk_create([Group(name=f"more {n}") for n in range(ANALYZE_FROM_ROWS + 1)])
    _when_counted(table, ANALYZE_FROM_ROWS + 1)
    assert analyze_grown([Group]) == []


@pytest.mark.django_db
def test_a_few_rows_are_left_to_autovacuum_and_other_databases_have_nothing_to_do():
    # On SQLite there are no statistics to keep up: never anything to analyse.
    if connection.vendor == "postgresql":
        _analyze(Group._meta.db_table)  # what the test before left is no concern here
    Group.objects.bulk_create([Group(name=f"load {n}") for n in range(10)])
    assert analyze_grown([Group]) == []
