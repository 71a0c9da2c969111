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

`prepared(name, build, values={…})` is `fetch_one` for any queryset a page reads on every
view (model instances, `values()` rows, `select_related` and prefetches): `build(**markers)`
is built and compiled once per name, variant, database alias and time zone, with a marker
in place of each id, date or moment of `values`; afterwards the kept statement runs with
the real values where the markers were, and its rows are made as the ORM makes them.
Compiling took as long as running on the account page (38 ms against 36 for its 29
statements, 2026-12-07); on my week, the union of the first follow-ups due cost more to
build and compile than to run (2026-12-07, night). What shapes the statement beyond
those values (a superuser's rule, a list's length, the day a plan's progress counts
from) goes in `variant`. Before a statement is
kept it is compiled again from a second set of markers, spaced otherwise: unless the two
differ only at the markers' places, a value reaches the SQL otherwise than as a parameter
of its own (a day counted from one, an id written into the text) and the statement is
refused. Under the test suite (`VERIFY`) each call also builds and compiles the query from
the real values and fails if the SQL or its parameters differ from the kept ones: a shape
left out of `variant` is caught there.
"""

import copy
import datetime
from collections import OrderedDict
from collections.abc import Callable

from django.core.signals import setting_changed
from django.db import connections
from django.dispatch import receiver
from django.utils import timezone

# No id is negative: a parameter equal to it can only be the marker.
MARKER = -7_354_318_202_957_613

_compiled: dict[tuple, tuple[str, tuple]] = {}
_built: OrderedDict[tuple, object] = OrderedDict()  # the least recently used first
_prepared: OrderedDict[tuple, tuple] = OrderedDict()  # the least recently used first
# Set by the test suite (keyaccounts/pytest_plugin.py): `prepared` checks each statement
# it runs against the one the ORM compiles from the real values.
VERIFY = False
# `prepared`'s markers, (first, step) of each kind: ids no row has (negative), days no
# record holds, far from either end of the calendar (a build may count days from them).
MARKER_IDS = ((-7_354_318_202_957_613, 1), (-5_209_441_736_118_907, 7_919))
MARKER_DAYS = ((datetime.date(1111, 1, 1), 1), (datetime.date(2222, 2, 2), 7))
# Moments (aware) likewise, a second apart or seven, with microseconds no clock gives twice.
MARKER_MOMENTS = (
    (datetime.datetime(1111, 1, 1, 1, 1, 1, 111_111, tzinfo=datetime.UTC), 1),
    (datetime.datetime(2222, 2, 2, 2, 2, 2, 222_222, tzinfo=datetime.UTC), 7),
)
# At most this many built things and prepared statements are kept: the least recently
# used go first (yesterday's, say). Each prepared statement keeps its marked queryset as a
# built thing too, so the two limits are the same.
BUILT_LIMIT = 256
PREPARED_LIMIT = 256


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
        found = build()
        _keep(_built, key, found, BUILT_LIMIT)
    else:
        _used(_built, key)
    return found


def _keep(kept: OrderedDict, key: tuple, value, limit: int) -> None:
    """Keep `value` under `key`, letting the least recently used go past `limit`: by
    `popitem`, never by iterating, which another thread's insert or `move_to_end` would
    break ("mutated during iteration")."""
    while len(kept) >= limit:
        try:
            kept.popitem(last=False)
        except KeyError:  # another thread emptied it meanwhile
            break
    kept[key] = value


def _used(kept: OrderedDict, key: tuple) -> None:
    try:
        kept.move_to_end(key)
    except KeyError:  # another thread let it go meanwhile
        pass


def prepared(
    name: str,
    build: Callable,
    *,
    values: dict,
    variant: tuple = (),
    verify: Callable | None = None,
) -> list:
    """`list(build(**values))` (a queryset), its SQL compiled from `build(**markers)` once
    per (`name`, `variant`, database alias, time zone) and run with `values` where the
    markers were. `values`: ids (int), dates and aware moments (datetimes), each of which
    must reach the SQL as a parameter of its own and nothing else; anything else that
    shapes the statement goes in `variant`. `verify`: what the suite's check (`VERIFY`)
    compiles instead of `build(**values)`, the query as the caller would build it."""
    markers = _markers(values, 0)
    marked = built_once(("prepared", name, variant), lambda: build(**markers))
    if marked._known_related_objects:
        # A related manager's rows would carry the marked instance they were read through.
        raise ValueError(f"{name}: build the query from the model's manager, not a relation")
    using = marked.db  # the router's choice for this request (read-your-writes)
    key = (name, variant, using, timezone.get_current_timezone_name())
    found = _prepared.get(key)
    if found is None:
        found = _prepare(name, marked, build, values, using)
        _keep(_prepared, key, found, PREPARED_LIMIT)
    else:
        _used(_prepared, key)
    compiler, sql, params, slots = found
    params = list(params)
    for index, value_name, as_text in slots:
        value = values[value_name]
        params[index] = _written(value, using) if as_text else value
    if VERIFY:
        real = verify() if verify is not None else build(**values)
        expected = real.query.get_compiler(using).as_sql()
        if (expected[0], tuple(expected[1])) != (sql, tuple(params)):
            raise AssertionError(
                f"{name}: the kept statement differs from the one compiled from {values!r}"
                f" (a shape missing from variant={variant!r}?):\n{expected}\n{(sql, params)}"
            )
    ready = copy.copy(compiler)
    ready.connection = connections[using]
    ready.as_sql = lambda *args, **kwargs: (sql, params)
    run = marked._chain()
    run._db = using
    run.query.get_compiler = lambda *args, **kwargs: ready
    return list(run)


def prepared_for(
    name: str, user, build: Callable, *, values: dict | None = None, variant: tuple = ()
) -> list:
    """`list(build(user, **values))`, a read of `user`'s own rows (their week, their
    accounts), by `prepared`: built for a stand-in person of the marker's id (active, a
    superuser if `user` is one: the visibility rule's two shapes), so the statement is
    kept once for everyone of that kind. `values` and `variant` as `prepared`'s. Anyone
    not signed in or not active is answered by the ORM each time (their rule is another
    statement)."""
    values = values or {}
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        return list(build(user, **values))
    person_model = user.__class__  # the model, also through a request's lazy user
    superuser = user.is_superuser

    def marked(uid, **rest):
        return build(person_model(pk=uid, is_active=True, is_superuser=superuser), **rest)

    return prepared(
        name,
        marked,
        values={"uid": user.pk, **values},
        variant=(superuser, *variant),
        # The suite checks the kept statement against the query built for the reader
        # themselves, not for the stand-in: a rule reading more of a person than their id
        # and kind would fail there.
        verify=lambda: build(user, **values),
    )


def _prepare(name: str, marked, build: Callable, values: dict, using: str) -> tuple:
    """(compiler, SQL, parameters, slots) of `marked`, compiled on a copy of its query (the
    kept one is shared by every thread and alias, and compiling changes a query's joins),
    and checked against the statement built from a second, differently spaced set of
    markers: the same SQL, the same parameters but at the markers' places, each of those
    the same marker's. So a value that reaches the SQL otherwise than as a parameter of
    its own (derived from in Python, written into the text) is refused, not kept."""
    compiler = marked.query.chain().get_compiler(using)
    sql, params = compiler.as_sql()
    compiler.connection = None  # each run rebinds its copy: keep no thread's connection
    slots = _slots(name, params, _markers(values, 0), using)
    other_sql, other_params = build(**_markers(values, 1)).query.get_compiler(using).as_sql()
    other = _markers(values, 1)
    expected = list(params)
    for index, value_name, as_text in slots:
        expected[index] = _written(other[value_name], using) if as_text else other[value_name]
    if other_sql != sql or list(other_params) != expected:
        raise ValueError(
            f"{name}: its statement depends on {sorted(values)} otherwise than as parameters"
            " of their own (a value derived from one, or written into the SQL)"
        )
    return compiler, sql, tuple(params), slots


def related_rows(name: str, record, relation: str, shape: Callable = lambda rows: rows) -> list:
    """`list(shape(record.<relation>.all()))`, the rows of a reverse foreign key (an
    account's contacts, say) read by `prepared` under `name`, each holding `record` as
    its related object, as rows read through the relation do."""
    rel = type(record)._meta.get_field(relation)
    field = rel.field
    model = rel.related_model
    rows = prepared(
        name,
        lambda pk: shape(model._default_manager.filter(**{field.attname: pk})),
        values={"pk": record.pk},
    )
    for row in rows:
        field.set_cached_value(row, record)
    return rows


def _markers(values: dict, kind: int) -> dict:
    """A marker for each of `values`: of the first kind (what is kept) or the second (the
    check), spaced differently, so a value derived from one marker never meets another."""
    base_id, id_step = MARKER_IDS[kind]
    base_day, day_step = MARKER_DAYS[kind]
    base_moment, moment_step = MARKER_MOMENTS[kind]
    markers = {}
    for index, (value_name, value) in enumerate(values.items()):
        if type(value) is int:
            markers[value_name] = base_id - index * id_step
        elif type(value) is datetime.date:
            markers[value_name] = base_day + datetime.timedelta(days=index * day_step)
        elif type(value) is datetime.datetime and timezone.is_aware(value):
            step = datetime.timedelta(seconds=index * moment_step)
            markers[value_name] = base_moment + step
        else:
            raise TypeError(
                f"{value_name}: prepared statements take ids, dates and aware moments,"
                f" not {value!r}"
            )
    return markers


def _written(value, using: str):
    """A date or moment as the database's adapter writes it into the parameters where it
    does not pass the object itself (SQLite: text; a moment in UTC)."""
    ops = connections[using].ops
    if type(value) is datetime.datetime:
        return ops.adapt_datetimefield_value(value)
    return ops.adapt_datefield_value(value)


def _slots(name: str, params, markers: dict, using: str) -> list[tuple[int, str, bool]]:
    """Where each marker is among the compiled parameters: (index, value's name, written
    as text: a date or a moment on SQLite)."""
    slots = []
    for index, param in enumerate(params):
        for value_name, marker in markers.items():
            if type(param) is type(marker) and param == marker:
                slots.append((index, value_name, False))
            elif type(marker) is not int and type(param) is str:
                if param == _written(marker, using):
                    slots.append((index, value_name, True))
    missing = set(markers) - {value_name for _index, value_name, _text in slots}
    if missing:
        raise ValueError(f"{name}: {sorted(missing)} reach the SQL not as a parameter")
    return slots


@receiver(setting_changed)
def _forget(**kwargs) -> None:
    """Settings that change (tests) may change the SQL or what was built: again."""
    _compiled.clear()
    _built.clear()
    _prepared.clear()
