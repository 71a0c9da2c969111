"""What is built once per process: compiled statements and annotated querysets.

A query that runs on every page and whose SQL differs from one person to the next only
by their id — the header's bell count — costs more to build and compile through the ORM
than to run (2 ms against 1 for the bell). `fetch_one(name, build, ident=…, using=…)`
builds it the first time with a marker in place of the id (`build(MARKER)`), keeps its
SQL and parameters per name, variant and database alias, and afterwards runs that SQL
with the real id where the marker was. What it runs is the ORM's own SQL; `variant`
names whatever else shapes it (a superuser's query is another statement).

`built_once(key, build)` keeps what `build()` returns (an annotated queryset whose
annotations cost more to resolve than to run, each call adding its own filter) under
`key`, which names everything that goes into it (the day, say). Both are forgotten when a
setting changes (what they hold may read settings: the currency rates).
"""

from collections.abc import Callable

from django.core.signals import setting_changed
from django.db import connections
from django.dispatch import receiver

# No id is negative: a parameter equal to it can only be the marker.
MARKER = -7_354_318_202_957_613

_compiled: dict[tuple, tuple[str, tuple]] = {}
_built: dict[tuple, object] = {}
# At most this many built things are kept: the oldest go first (yesterday's, say).
BUILT_LIMIT = 64


def fetch_one(
    name: str, build: Callable, *, ident: int, using: str, variant: tuple = ()
) -> tuple | None:
    """The first row of `build(ident)` (a queryset of `values_list`), run as the SQL
    compiled from `build(MARKER)` for (`name`, `variant`, `using`) with `ident` in the
    marker's place."""
    return fetch_one_statement(
        name,
        lambda pk: build(pk).query.get_compiler(using).as_sql(),
        ident=ident,
        using=using,
        variant=variant,
    )


def fetch_one_statement(
    name: str, build: Callable, *, ident: int, using: str, variant: tuple = ()
) -> tuple | None:
    """`fetch_one` for a statement written around the ORM's SQL: `build(pk)` answers
    (SQL, parameters) (`keyaccounts.paging.bounded_counts_statement`, say)."""
    key = (name, variant, using)
    found = _compiled.get(key)
    if found is None:
        sql, params = build(MARKER)
        if not any(_is_marker(p) for p in params):
            raise ValueError(f"{name}: the query does not depend on the id it is built with")
        found = _compiled[key] = (sql, tuple(params))
    sql, params = found
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [ident if _is_marker(p) else p for p in params])
        return cursor.fetchone()


def _is_marker(value) -> bool:
    return type(value) is int and value == MARKER


def built_once(key: tuple, build: Callable):
    """`build()`, built the first time `key` is asked for in this process, then kept."""
    found = _built.get(key)
    if found is None:
        while len(_built) >= BUILT_LIMIT:
            _built.pop(next(iter(_built)))
        found = _built[key] = build()
    return found


@receiver(setting_changed)
def _forget(**kwargs) -> None:
    """Settings that change (tests) may change the SQL or what was built: again."""
    _compiled.clear()
    _built.clear()
