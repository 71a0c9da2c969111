"""The change counter's next numbers (keyaccounts/models.py says why one counter, taken in
each write's transaction, puts change numbers in commit order). Plain SQL on the counter's
table, so the machinery that writes in bulk (keyaccounts/bulk.py, the feed's hooks) takes
numbers without importing the models that call it."""

from django.db import connections


def next_change_seq(*, count: int = 1, using: str = "default") -> int:
    """Reserve `count` change numbers; return the last. Call inside the write's transaction.

    One upsert on a single row: it creates the counter if it is missing (a flushed test
    database) and holds its lock until the transaction ends.
    """
    with connections[using].cursor() as cursor:
        cursor.execute(
            "INSERT INTO keyaccounts_changecounter (id, value) VALUES (1, %s) "
            "ON CONFLICT (id) DO UPDATE SET value = keyaccounts_changecounter.value + %s "
            "RETURNING value",
            [count, count],
        )
        return cursor.fetchone()[0]
