"""Bulk writes of rows whose values are final (the demo data, rescoring, imports):
change numbers and primary keys reserved in advance, `insert_rows` (COPY on
PostgreSQL, multi-row INSERT elsewhere), COPY from a second thread while the caller
makes the next rows, and foreign keys checked once at the end of a load."""

import csv
import io
import json
import queue
import threading
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar

from django.db import connections, router, transaction


def stamp_change_seqs(objs: list) -> list:
    """Give each unsaved synced record its own change number before a bulk_create
    (which skips save()), so the changes feed sees every row, in order. Call inside the
    transaction that inserts them."""
    from .changeseq import next_change_seq

    if objs:
        last = next_change_seq(count=len(objs))
        for offset, obj in enumerate(objs):
            obj.change_seq = last - len(objs) + 1 + offset
    return objs


# --- rows written as plain values -----------------------------------------------------

# COPY on PostgreSQL; False writes every row by INSERT, as on SQLite (the tests compare).
USE_COPY = True
# From this many rows, PostgreSQL gets them by COPY: measured at 2,000 rows of grade
# changes, 70 to 140 ms where the multi-row INSERT took 250 to 310 ms (parsing 18,000
# parameters); one account's write stays one INSERT.
COPY_FROM = 100
# Rows per INSERT statement at most (fewer when the database takes fewer parameters).
INSERT_ROWS = 2000
# Characters handed to the driver at a time during a COPY.
COPY_BUFFER = 1 << 16


def change_numbers(count: int, *, using: str = "default") -> range:
    """`count` change numbers reserved at once (`next_change_seq`), in order, for rows
    written in bulk. Call inside the transaction that writes them; numbers left unused
    are a gap the changes feed does not mind."""
    from .changeseq import next_change_seq

    if count <= 0:
        return range(0)
    last = next_change_seq(count=count, using=using)
    return range(last - count + 1, last + 1)


def reserve_ids(model, count: int, *, using: str | None = None) -> list[int]:
    """`count` new primary keys of `model`, in increasing order, for rows inserted with
    their ids given, so that rows pointing at them can be made before either is written.

    PostgreSQL takes them from the table's own sequence, as an INSERT would, so a
    concurrent writer never gets one of them (a concurrent writer may leave gaps between
    them). Elsewhere (SQLite) they follow the largest id the table has used: reserve
    inside the transaction that inserts the rows (SQLite's writes take the whole
    database), and once per table before inserting."""
    if count <= 0:
        return []
    using = using or router.db_for_write(model)
    conn = connections[using]
    table = model._meta.db_table
    column = model._meta.pk.column
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            # The numbers come back as the runs they form (one, unless someone else
            # took numbers meanwhile), not a million rows.
            cursor.execute(
                "SELECT min(n), max(n) FROM ("
                " SELECT n, n - row_number() OVER (ORDER BY n) AS run FROM ("
                "  SELECT nextval(pg_get_serial_sequence(%s, %s)) AS n"
                "  FROM generate_series(1, %s)) AS taken) AS runs"
                " GROUP BY run ORDER BY 1",
                [conn.ops.quote_name(table), column, count],
            )
            return [n for low, high in cursor.fetchall() for n in range(low, high + 1)]
        quote = conn.ops.quote_name
        cursor.execute(f"SELECT max({quote(column)}) FROM {quote(table)}")
        last = cursor.fetchone()[0] or 0
        if conn.vendor == "sqlite":
            # AUTOINCREMENT never hands out an id again, even one whose row is gone.
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            found = cursor.fetchone()
            last = max(last, found[0] if found else 0)
    return list(range(last + 1, last + 1 + count))


class Rows:
    """Rows of one model for `insert_rows`, each made of the values given (by attname)
    and, for every other field, what `Model(...)` would hold: its default, and `now`
    for `auto_now` and `auto_now_add` fields (which `insert_rows`, unlike `save()`, does
    not stamp). `without`: columns the database fills (an id from the sequence)."""

    def __init__(self, model, *, now, without=()):
        self.model = model
        fields = [f for f in model._meta.concrete_fields if f.attname not in without]
        self.columns = [f.attname for f in fields]
        self.defaults = {
            f.attname: now
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
            else f.get_default()
            for f in fields
        }
        self.rows = []

    def add(self, values: dict) -> None:
        row = {**self.defaults, **values}
        if len(row) != len(self.defaults):
            unknown = sorted(set(values) - set(self.defaults))
            raise TypeError(f"{self.model.__name__} has no column {', '.join(unknown)}")
        self.rows.append(tuple(row.values()))

    def write(self) -> int:
        """Insert the rows added since the last write; returns how many."""
        rows, self.rows = self.rows, []
        insert_rows(self.model, self.columns, rows)
        return len(rows)


def insert_rows(model, columns: list[str], rows: list, update_on_conflict: str = "") -> None:
    """Insert `rows` (sequences of values in the order of `columns`, attnames of
    `model`'s fields) into `model`'s table; with `update_on_conflict`, a row whose value
    of that column exists updates the other columns instead (an upsert).

    The values are final: no default, `auto_now`, `save()` or signal is applied, so the
    caller gives every column it means to set (a column left out gets the database's
    default: an id from the sequence). Written by hand because `bulk_create` spends most
    of its time compiling each value through the ORM (a full rescoring: 1.6 of 2.2 s
    for 2,000 accounts; the demo data: most of its 33 minutes at 100,000 accounts),
    while these values are already plain. Many rows go to PostgreSQL by COPY (an upsert
    through a temporary table; inside `copy_in_background`, from a second thread);
    otherwise, and on SQLite, as multi-row INSERT statements. Both give the same rows
    (`keyaccounts/tests/test_seed_demo.py`)."""
    if not rows:
        return
    conn = connections[router.db_for_write(model)]
    _refuse_empty_text_for_null(model, columns, rows)
    background = (_BACKGROUND.get() or {}).get(conn.alias)
    copy = USE_COPY and conn.vendor == "postgresql"
    if copy and (background is not None or len(rows) >= COPY_FROM):
        copy = _copy_statements(conn, model, columns, rows, update_on_conflict)
        if copy is not None:
            if background is not None:
                background.put(copy)
                return
            # The staging table of an upsert empties at each commit: its statements
            # run in one transaction even when the caller's connection autocommits.
            own = update_on_conflict and not conn.in_atomic_block
            with (
                transaction.atomic(using=conn.alias) if own else nullcontext(),
                conn.cursor() as cursor,
            ):
                if hasattr(cursor.cursor, "copy_expert"):  # psycopg2
                    with conn.wrap_database_errors:  # as Django raises them
                        _run_copy(cursor, copy)
                    return
    with conn.cursor() as cursor:
        _insert_values(conn, cursor, model, columns, rows, update_on_conflict)


def _on_conflict(conn, columns: list[str], update_on_conflict: str) -> str:
    if not update_on_conflict:
        return ""
    quote = conn.ops.quote_name
    updates = ", ".join(
        f"{quote(c)} = EXCLUDED.{quote(c)}" for c in columns if c != update_on_conflict
    )
    return f" ON CONFLICT ({quote(update_on_conflict)}) DO UPDATE SET {updates}"


def _insert_values(conn, cursor, model, columns, rows, update_on_conflict) -> None:
    quote = conn.ops.quote_name
    fields = {field.attname: field for field in model._meta.concrete_fields}
    # Only the JSON, the dates and the times need the field's own conversion.
    convert = [
        (index, fields[column])
        for index, column in enumerate(columns)
        if fields[column].get_internal_type() in {"JSONField", "DateField", "DateTimeField"}
    ]
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) VALUES "
    conflict = _on_conflict(conn, columns, update_on_conflict)
    per_statement = max(1, (conn.features.max_query_params or 20000) // len(columns))
    per_statement = min(per_statement, INSERT_ROWS)
    placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    for start in range(0, len(rows), per_statement):
        batch = rows[start : start + per_statement]
        params = []
        for row in batch:
            if convert:
                row = list(row)
                for index, field in convert:
                    row[index] = field.get_db_prep_save(row[index], conn)
            params.extend(row)
        cursor.execute(sql + ", ".join([placeholder] * len(batch)) + conflict, params)


TEXT_FIELDS = {"CharField", "TextField", "EmailField", "SlugField", "URLField"}


def _refuse_empty_text_for_null(model, columns, rows) -> None:
    """A nullable text column holds None for "no value", never "": COPY could not tell
    the two apart, and an external ID of "" would be a value two rows could share."""
    fields = {field.attname: field for field in model._meta.concrete_fields}
    for index, column in enumerate(columns):
        field = fields[column]
        if field.null and field.get_internal_type() in TEXT_FIELDS:
            if any(row[index] == "" for row in rows):
                raise ValueError(
                    f"{model._meta.db_table}.{column}: give None, not an empty string,"
                    " for no value (the column is nullable)."
                )


def _copy_statements(conn, model, columns, rows, update_on_conflict) -> list | None:
    """The statements that COPY `rows` in CSV, as [(sql, data for COPY or None)]: the
    csv module writes a row in C, where formatting each value in Python cost as much as
    making the rows. An empty unquoted value is NULL, so every NOT NULL column is read
    with FORCE_NOT_NULL (its "" stays ""); a nullable text column holds no "" (refused
    before). None when the data holds COPY's end marker on a line of its own: INSERT
    then."""
    fields = {field.attname: field for field in model._meta.concrete_fields}
    encode = [
        index
        for index, column in enumerate(columns)
        if fields[column].get_internal_type() == "JSONField"
    ]
    if encode:
        rows = [list(row) for row in rows]
        for row in rows:
            for index in encode:
                if row[index] is not None:
                    row[index] = json.dumps(row[index])
    parts = []
    csv.writer(_Appender(parts), lineterminator="\n").writerows(rows)
    data = "".join(parts)
    if data.startswith("\\.") or "\n\\." in data or "\r\\." in data:
        return None
    quote = conn.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(map(quote, columns))
    not_null = ", ".join(quote(c) for c in columns if not fields[c].null)
    options = "FORMAT csv" + (f", FORCE_NOT_NULL ({not_null})" if not_null else "")
    if not update_on_conflict:
        return [(f"COPY {table} ({names}) FROM STDIN WITH ({options})", data)]
    # The connection's own staging table, emptied after each use (a rescore_pending run
    # writes several chunks in one transaction).
    staging = quote(f"{model._meta.db_table}_staging")
    return [
        (
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} (LIKE {table}) ON COMMIT DELETE ROWS",
            None,
        ),
        (f"COPY {staging} ({names}) FROM STDIN WITH ({options})", data),
        (
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging}"
            + _on_conflict(conn, columns, update_on_conflict),
            None,
        ),
        (f"TRUNCATE {staging}", None),
    ]


def _run_copy(cursor, statements: list) -> None:
    """Run `_copy_statements` on a cursor: Django's (its statements logged as any
    other) or, in the background thread, the driver's (psycopg2)."""
    for sql, data in statements:
        if data is None:
            cursor.execute(sql)
        else:
            cursor.copy_expert(sql, io.StringIO(data), COPY_BUFFER)


class _Appender:
    """A file for csv.writer that keeps the pieces it writes."""

    def __init__(self, parts: list):
        self.write = parts.append


# --- COPY beside the caller's work -----------------------------------------------------

_BACKGROUND: ContextVar[dict | None] = ContextVar("copy_in_background", default=None)


class _Background:
    """One thread that sends COPYs, in order, on the caller's connection (so in its
    transaction) while the caller makes the next rows: PostgreSQL inserts on one core
    while Python works on the other. The caller's own queries wait until every COPY
    sent before them is done (an execute wrapper), so the connection is never used by
    two threads at once and a query sees every row written before it."""

    def __init__(self, conn):
        self.conn = conn
        # A few batches ahead at most: rows waiting here are memory.
        self.jobs = queue.Queue(maxsize=4)
        self.error = None
        self.thread = threading.Thread(target=self._work, name="copy-in-background")
        self.thread.start()

    def _work(self) -> None:
        cursor = self.conn.connection.cursor()
        try:
            while True:
                statements = self.jobs.get()
                try:
                    if statements is None:
                        return
                    if self.error is None:
                        _run_copy(cursor, statements)
                except Exception as error:  # raised in the caller's thread
                    self.error = error
                finally:
                    self.jobs.task_done()
        finally:
            cursor.close()

    def put(self, statements: list) -> None:
        self.raise_error()
        self.jobs.put(statements)

    def wait(self) -> None:
        """Until every COPY sent so far is done; raises what one of them raised."""
        self.jobs.join()
        self.raise_error()

    def stop(self) -> None:
        self.jobs.put(None)
        self.thread.join()

    def raise_error(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            # As Django raises database errors (IntegrityError, ...).
            with self.conn.wrap_database_errors:
                raise error

    def before_query(self, execute, sql, params, many, context):
        self.wait()
        return execute(sql, params, many, context)


@contextmanager
def copy_in_background(using: str = "default"):
    """While open, `insert_rows` hands every write to PostgreSQL to a second thread that
    COPYs it on the same connection, in the same transaction and in the order given,
    and returns at once; any other query on the connection first waits for the COPYs
    sent before it. At the end it waits for them all: an error in one is raised here,
    or by the next write or query. Open it inside a transaction. Elsewhere (SQLite) it
    changes nothing."""
    conn = connections[using]
    conn.ensure_connection()
    if not USE_COPY or conn.vendor != "postgresql":
        yield
        return
    background = _Background(conn)
    token = _BACKGROUND.set({**(_BACKGROUND.get() or {}), using: background})
    try:
        with conn.execute_wrapper(background.before_query):
            yield
            background.wait()
    finally:
        _BACKGROUND.reset(token)
        background.stop()


# --- foreign keys checked once, not once a row ------------------------------------------


@contextmanager
def foreign_keys_checked_once(models, using: str = "default"):
    """For a bulk load on PostgreSQL: drop the foreign keys of `models`' tables for the
    block, and add them back at its end, each checked by one join over its table
    (`ADD CONSTRAINT … NOT VALID`, then `VALIDATE CONSTRAINT`) instead of row by row.

    Django's foreign keys are DEFERRABLE INITIALLY DEFERRED, so every inserted row queues
    a check that COMMIT then runs as one index lookup each: for the benchmark's demo
    data, millions of them, over 85 s at COMMIT, where validating each constraint once
    takes 11 s (docs/benchmarks.md, "Data"). The constraints come back with their own
    names and definitions; a row that breaks one fails the block, and the block is
    atomic, so a failure inside it brings the constraints back with everything else.
    The tables stay locked until the transaction ends. Elsewhere (SQLite) it changes
    nothing."""
    conn = connections[using]
    if conn.vendor != "postgresql":
        yield
        return
    quote = conn.ops.quote_name
    tables = sorted({model._meta.db_table for model in models})
    with transaction.atomic(using=using), conn.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])"
            " ORDER BY conrelid::regclass::text, conname",
            [tables],
        )
        keys = cursor.fetchall()
        # Checks still queued for rows written before (ALTER TABLE refuses a table with
        # pending checks) run first. One statement for all: the DDL is a few dozen lines.
        drop = [f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}" for table, name, _ in keys]
        cursor.execute(";\n".join(["SET CONSTRAINTS ALL IMMEDIATE", *drop]))
        yield
        add = [
            f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition} NOT VALID"
            for table, name, definition in keys
        ]
        check = [
            f"ALTER TABLE {table} VALIDATE CONSTRAINT {quote(name)}" for table, name, _ in keys
        ]
        # Then back to what every foreign key here is: checked at COMMIT.
        cursor.execute(";\n".join([*add, *check, "SET CONSTRAINTS ALL DEFERRED"]))


# --- statistics while a load grows a table ----------------------------------------------

# A table with fewer rows than this changed since its last analysis is left to autovacuum.
ANALYZE_FROM_ROWS = 1000


def analyze_grown(models, *, using: str = "default") -> list[str]:
    """ANALYZE the tables of `models` that more rows changed in since their last analysis
    than they held then (never analysed: `ANALYZE_FROM_ROWS`); returns their names.

    A long load (a bulk job's chunks, one after the other) plans each chunk's reads with
    the statistics the table had before it: autovacuum analyses a table a minute or so
    after it grew, so a load into a new or small table reads it as if it were empty —
    whole scans where an index fits, a visibility check that reads every row the loader
    can see, each chunk slower than the last. Called between chunks, this analyses as a
    table doubles: a few times a load, a fraction of a second each (a sample of 30,000
    rows at most). A role that does not own a table is told so by PostgreSQL in a
    warning, and nothing else happens. Other databases: nothing to do."""
    conn = connections[using]
    if conn.vendor != "postgresql":
        return []
    tables = sorted({model._meta.db_table for model in models})
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid "
            "WHERE s.relid = ANY(%s::regclass[]) "
            "AND s.n_mod_since_analyze > GREATEST(%s, c.reltuples)",
            [tables, ANALYZE_FROM_ROWS],
        )
        grown = sorted(row[0] for row in cursor.fetchall())
        for table in grown:
            # SKIP_LOCKED: a table someone else holds (a VACUUM, an index being built,
            # another load's ANALYZE) is left for the next call, never waited for.
            cursor.execute(f"ANALYZE (SKIP_LOCKED) {conn.ops.quote_name(table)}")
    return grown
