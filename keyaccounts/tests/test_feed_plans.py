"""A page deep in a changes feed reads the change-number index from the cursor on, never
from its start: the position "after (number, id)" is given to PostgreSQL with a lower
bound on the number it can read the index from (`keyaccounts.feed.reader._after`)."""

import pytest
from django.db import connection

from accounts.models import Contact
from accounts.tests.factories import AccountFactory, ContactFactory
from keyaccounts.feed.reader import Position, _after

pytestmark = pytest.mark.django_db


def index_conditions(queryset) -> list[str]:
    """The index conditions of the plan of `queryset`, sequential scans turned off (the
    question is what an index read can start from, not what a tiny table is best read by)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = [row[0] for row in cursor.fetchall()]
    return [line.strip() for line in plan if "Index Cond" in line]


@pytest.mark.parametrize("in_the_middle", [False, True], ids=["whole number", "mid-number"])
def test_a_deep_cursor_bounds_the_index_read(require_postgres, in_the_middle):
    account = AccountFactory()
    contacts = ContactFactory.create_batch(5, account=account)
    middle = contacts[2]
    middle.refresh_from_db()
    since = Position(middle.change_seq, middle.pk) if in_the_middle else Position(middle.change_seq)

    rows = Contact.objects.filter(_after(since, "change_seq", "pk")).order_by("change_seq", "pk")
    conditions = index_conditions(rows[:10])

    assert any(
        "change_seq >" in condition and str(middle.change_seq) in condition
        for condition in conditions
    ), conditions
    # And the rows are those after the cursor, in order.
    after = [c.pk for c in sorted(contacts, key=lambda c: (c.change_seq, c.pk))]
    assert list(rows.values_list("pk", flat=True)) == after[3:]
