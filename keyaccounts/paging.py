"""Keyset paging: a deep page of a list costs what its first page costs.

`Paginator`'s page N is `LIMIT 25 OFFSET 25·(N-1)` after a `COUNT(*)`: the database
reads and throws away every row before the page, and counts every row of the list,
so page 4,000 of 100,000 accounts reads 100,000 rows. A keyset page starts where the
page before it ended instead: with the list ordered by keys ending in the primary key
(k1, …, pk), the next page is `WHERE (k1, …, pk) > (the last row's values) ORDER BY
k1, …, pk LIMIT size + 1`, which an index on (k1, …, pk) answers by reading the page's
rows and one more (to know whether a next page exists), however deep the page.

- The cursor (`?after=` / `?before=`) is the last (first) row's key values, signed
  (`django.core.signing`) with a fingerprint of the list: its path, its filters and its
  order. A garbled or tampered cursor, or one made for another order or other filters,
  is ignored: the list shows its first page, and says so above it (`_say_first_page`:
  a bookmarked page 3 that opens page 1 silently looks like lost rows). An old
  `?page=N` link shows page 1 too, with the same words.
  Signed, not encrypted: it shows the values of a row its reader was shown.
- NULLs: a nullable key (an account's grade before it was ever graded, a nullable
  date) sorts its NULLs last unless the ordering says `nulls_first=True`, on every
  database. When the first key is nullable the list is read as two segments — the rows
  with a value, by an index on that key, then the rows without, by the other keys — so
  each segment's query can use its index (an `OR … IS NULL` in one query could not);
  the one page that reaches from the first segment into the second runs two queries.
- Counting: only where it is cheap and bounded. `bounded_count` counts at most
  `COUNT_LIMIT + 1` rows (`SELECT COUNT(*) FROM (… LIMIT 1001)`); a page says "more
  than 1,000" beyond that, never `COUNT(*)` over the visibility join of 100,000 rows.
- `list_page` pages a list already in memory (a record's history) the same way, so
  every list has the same links.

The pipeline board's columns ("Show more") page with `Keyset` directly.
"""

import datetime
import decimal
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.core import signing
from django.core.exceptions import EmptyResultSet, FieldDoesNotExist
from django.db import connections
from django.db.models import Count, F, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.http import QueryDict
from django.utils.translation import gettext_lazy

SALT = "keyaccounts.paging"
# The query parameters of paging itself: everything else is the list's filters.
PAGING_PARAMETERS = ("after", "before", "page")
COUNT_LIMIT = 1000
_ALIAS = "paging_key_{}"
# Longer than any cursor this module makes: anything longer is not one.
MAX_CURSOR_LENGTH = 2000


# --- cursor values ---------------------------------------------------------------------


def _dump(value):
    """A key value as JSON: dates, times and decimals tagged so they come back typed."""
    if isinstance(value, datetime.datetime):
        return ["t", value.isoformat()]
    if isinstance(value, datetime.date):
        return ["d", value.isoformat()]
    if isinstance(value, decimal.Decimal):
        return ["n", str(value)]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"cannot page by a value of type {type(value).__name__}")


def _load(value):
    if isinstance(value, list):
        tag, text = value
        if tag == "t":
            return datetime.datetime.fromisoformat(text)
        if tag == "d":
            return datetime.date.fromisoformat(text)
        if tag == "n":
            return decimal.Decimal(text)
        raise ValueError(tag)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise ValueError(value)


def encode_cursor(fingerprint: str, values: Sequence) -> str:
    """A signed, URL-safe token for a row's key values within one list."""
    return signing.dumps([fingerprint, [_dump(v) for v in values]], salt=SALT, compress=True)


def decode_cursor(token: str | None, fingerprint: str, size: int) -> tuple | None:
    """The key values of a token `encode_cursor` made for this list (`fingerprint`),
    `size` of them; None for anything else: missing, garbled, tampered, another list's."""
    if not token or len(token) > MAX_CURSOR_LENGTH:
        return None
    try:
        made_for, values = signing.loads(token, salt=SALT)
        if made_for != fingerprint or len(values) != size:
            return None
        return tuple(_load(v) for v in values)
    except (signing.BadSignature, ValueError, TypeError):
        return None


def fingerprint(*parts) -> str:
    """What a cursor belongs to: a list's path, filters and order, hashed short."""
    text = "\x1f".join(str(part) for part in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- the keys of an order ----------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    """One term of a list's order: what it sorts by, which way, and where NULLs go."""

    expression: Any  # an expression; a field path is F(path)
    descending: bool = False
    nullable: bool = False
    nulls_first: bool = False  # only when nullable

    def reversed(self) -> "Key":
        return replace(self, descending=not self.descending, nulls_first=not self.nulls_first)

    def not_null(self) -> "Key":
        return replace(self, nullable=False, nulls_first=False)

    def __str__(self):
        nulls = ("nulls first" if self.nulls_first else "nulls last") if self.nullable else ""
        return f"{self.expression} {'desc' if self.descending else 'asc'} {nulls}".strip()


def _path_is_nullable(model, path: str) -> bool:
    """Whether a field path can read NULL: a nullable field on the way, or a relation
    that may have no row (a reverse one-to-one: an account not graded yet)."""
    opts = model._meta
    for name in path.split("__"):
        try:
            model_field = opts.pk if name == "pk" else opts.get_field(name)
        except FieldDoesNotExist:
            return True  # an annotation: assume the worst
        if model_field.null:
            return True
        if not model_field.is_relation:
            return False
        opts = model_field.related_model._meta
    return False


def key_of(model, item) -> Key:
    """A `Key` from what `order_by` takes: "name", "-pk", `F("x").asc(nulls_last=True)`,
    `Coalesce(...).desc()`. A field path's nullability is read from the model; another
    expression is taken as never NULL unless its ordering names `nulls_first`/`nulls_last`."""
    if isinstance(item, Key):
        return item
    if isinstance(item, str):
        descending = item.startswith("-")
        path = item.removeprefix("-")
        return Key(F(path), descending, _path_is_nullable(model, path))
    if isinstance(item, F):
        return Key(item, False, _path_is_nullable(model, item.name))
    if isinstance(item, OrderBy):
        expression = item.expression
        if item.nulls_first or item.nulls_last:
            return Key(expression, item.descending, True, bool(item.nulls_first))
        nullable = isinstance(expression, F) and _path_is_nullable(model, expression.name)
        return Key(expression, item.descending, nullable)
    raise TypeError(f"cannot page by {item!r}")


def _is_pk(model, key: Key) -> bool:
    expression = key.expression
    return isinstance(expression, F) and expression.name in ("pk", model._meta.pk.name)


# --- reading rows by keyset ------------------------------------------------------------

_NEVER = Q(pk__in=[])


def _beyond(alias: str, key: Key, value) -> Q:
    """Rows whose `key` comes strictly after `value`."""
    if value is None:
        return Q(**{f"{alias}__isnull": False}) if key.nullable and key.nulls_first else _NEVER
    beyond = Q(**{f"{alias}__{'lt' if key.descending else 'gt'}": value})
    if key.nullable and not key.nulls_first:
        beyond |= Q(**{f"{alias}__isnull": True})
    return beyond


def _same(alias: str, value) -> Q:
    return Q(**{f"{alias}__isnull": True}) if value is None else Q(**{alias: value})


def _after(aliases: Sequence[str], keys: Sequence[Key], values: Sequence) -> Q:
    """Rows strictly after `values` in the order of `keys`: k1 beyond v1, or k1 = v1 and
    k2 beyond v2, … The first key's value also bounds the scan (`k1 >= v1`), so that an
    index on the keys starts reading at the cursor."""
    found = _NEVER
    equal = Q()
    for alias, key, value in zip(aliases, keys, values, strict=True):
        beyond = _beyond(alias, key, value)
        if beyond is not _NEVER:
            found = (equal & beyond) if found is _NEVER else found | (equal & beyond)
        equal &= _same(alias, value)
    first, value = keys[0], values[0]
    if value is not None and not first.nullable:
        found &= Q(**{f"{aliases[0]}__{'lte' if first.descending else 'gte'}": value})
    return found


def _order(alias: str, key: Key) -> OrderBy:
    if not key.nullable:
        return OrderBy(F(alias), descending=key.descending)
    if key.nulls_first:
        return OrderBy(F(alias), descending=key.descending, nulls_first=True)
    return OrderBy(F(alias), descending=key.descending, nulls_last=True)


class Keyset:
    """A queryset in an order that pages by keyset: `ordering` as `order_by` takes it,
    ending in the primary key (so that no two rows tie).

    Each key is annotated onto the rows (`paging_key_0`, …): the cursor reads it from
    the row whatever it is (a column, a related column, an expression).

    `ids_first`: read a page's ids, then its rows, in one query (`pk IN (SELECT … ORDER
    BY … LIMIT n)`), for a queryset whose annotations PostgreSQL would otherwise plan
    for every row of the list rather than for the page's — the account list's EXISTS of
    a decider and of a coach, which it answers for a superuser by hashing every contact.
    Without, the page's rows are read directly (an index range and nothing else)."""

    def __init__(self, queryset: QuerySet, ordering: Sequence, *, ids_first: bool = False):
        self.ids_first = ids_first
        model = queryset.model
        self.keys = [key_of(model, item) for item in ordering]
        if not self.keys or not _is_pk(model, self.keys[-1]):
            raise ValueError("a keyset ordering ends in the primary key")
        self.aliases = [_ALIAS.format(i) for i in range(len(self.keys))]
        self.queryset = queryset.annotate(
            **{alias: key.expression for alias, key in zip(self.aliases, self.keys, strict=True)}
        )

    def __str__(self):
        return ", ".join(str(key) for key in self.keys)

    def order(self) -> list[OrderBy]:
        """The whole order as `order_by` takes it (NULLs last unless a key says first):
        for reading the list by position (an API's page number) in the order its
        cursors follow."""
        return [_order(alias, key) for alias, key in zip(self.aliases, self.keys, strict=True)]

    def values(self, row) -> tuple:
        """The row's key values: what a cursor after (or before) it holds."""
        return tuple(getattr(row, alias) for alias in self.aliases)

    def rows(self, *, after: Sequence | None = None, limit: int, backward: bool = False):
        """Up to `limit` rows after the key values `after` (from the start without),
        in the order (`backward`: before them, nearest first)."""
        keys = [key.reversed() for key in self.keys] if backward else self.keys
        found: list = []
        for condition, segment_keys, start in self._segments(keys, after):
            rows = self.queryset.filter(condition)
            aliases = self.aliases[len(keys) - len(segment_keys) :]
            if start is not None:
                rows = rows.filter(_after(aliases, segment_keys, start))
            order = [_order(alias, key) for alias, key in zip(aliases, segment_keys, strict=True)]
            rows = rows.order_by(*order)
            if self.ids_first:
                ids = rows.values("pk")[: limit - len(found)]
                found += self.queryset.filter(pk__in=ids).order_by(*order)
            else:
                found += rows[: limit - len(found)]
            if len(found) >= limit:
                break
        return found

    def _segments(self, keys: list[Key], after: Sequence | None) -> list[tuple]:
        """(condition, the keys that order it, where to start in it) for each segment to
        read, in order. One segment, unless the first key is nullable: then the rows with
        a value and the rows without, each readable from an index."""
        first, alias = keys[0], self.aliases[0]
        if not first.nullable:
            return [(Q(), keys, after)]
        with_value = (Q(**{f"{alias}__isnull": False}), [first.not_null(), *keys[1:]])
        without = (Q(**{f"{alias}__isnull": True}), keys[1:])
        order = [without, with_value] if first.nulls_first else [with_value, without]
        if after is None:
            return [(*segment, None) for segment in order]
        here = without if after[0] is None else with_value
        start = after[1:] if here is without else after
        rest = order[1:] if order[0] is here else []
        return [(*here, start), *((*segment, None) for segment in rest)]


# --- a page of a list ------------------------------------------------------------------


def filter_query(request) -> QueryDict:
    """The request's query without the paging parameters: the list's filters and order,
    for the page's links and its export links (an export is the whole list)."""
    query = request.GET.copy()
    for name in PAGING_PARAMETERS:
        query.pop(name, None)
    return query


def bounded_count(queryset: QuerySet, limit: int | None = None, **aggregates) -> dict:
    """How many rows `queryset` has, counting at most `limit` (`COUNT_LIMIT`) + 1 of
    them: {"count": n, "exact": n <= limit, **aggregates over those rows}. The
    aggregates are the list's own (a total) only when "exact" is true."""
    limit = COUNT_LIMIT if limit is None else limit
    rows = queryset.order_by().values("pk", *_aggregated_fields(aggregates))[: limit + 1]
    found = rows.aggregate(paging_count=Count("pk"), **aggregates)
    return {**known_bounded(found.pop("paging_count"), limit), **found}


def known_bounded(count: int, limit: int | None = None) -> dict:
    """`bounded_count`'s answer for a count known without a query."""
    limit = COUNT_LIMIT if limit is None else limit
    return {"count": min(count, limit), "exact": count <= limit}


def bounded_counts(querysets: dict[str, QuerySet], limit: int | None = None) -> dict[str, int]:
    """How many rows each of `querysets` has, each counted up to `limit` (`COUNT_LIMIT`)
    + 1 (a count above `limit` means "more than `limit`"), in one statement:
    `SELECT (SELECT COUNT(*) FROM (… LIMIT limit + 1)), …`. The querysets are read
    from one database (the first one's)."""
    if not querysets:
        return {}
    using = next(iter(querysets.values())).db
    sql, params = bounded_counts_statement(querysets, limit, using=using)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return counts_of(querysets, cursor.fetchone())


def bounded_counts_statement(
    querysets: dict[str, QuerySet], limit: int | None = None, *, using: str
) -> tuple[str, list]:
    """`bounded_counts`' statement (SQL, parameters): a column per queryset, in order,
    read by `counts_of`. A queryset that can match nothing counts 0 in its place."""
    limit = COUNT_LIMIT if limit is None else limit
    parts, params = [], []
    for number, queryset in enumerate(querysets.values()):
        rows = queryset.order_by().values("pk")[: limit + 1]
        try:
            sql, part_params = rows.query.get_compiler(using=using).as_sql()
        except EmptyResultSet:
            parts.append("0")
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS bounded_{number})")
        params.extend(part_params)
    return "SELECT " + ", ".join(parts), params


def counts_of(querysets: dict, row: tuple) -> dict[str, int]:
    """`bounded_counts_statement`'s row as {name: count}, in the querysets' order."""
    return dict(zip(querysets, row, strict=True))


def _aggregated_fields(aggregates: dict) -> list[str]:
    fields = []
    for aggregate in aggregates.values():
        for source in aggregate.get_source_expressions():
            if isinstance(source, F):
                fields.append(source.name)
    return fields


@dataclass
class Page:
    """A page of a list: its rows and the links to the pages around it."""

    object_list: list
    has_next: bool = False
    has_previous: bool = False
    next_url: str | None = None
    previous_url: str | None = None
    first_url: str = ""
    # The list's filters and order as a query string (no paging): for export links.
    query: str = ""
    # bounded_count(): how many rows the list has, exactly up to `count_limit`.
    count: int | None = None
    count_exact: bool = True
    count_limit: int = COUNT_LIMIT
    totals: dict = field(default_factory=dict)
    # The request named a place in the list that no cursor reads back: this is the
    # first page instead (`LOST_PLACE` says why; `keyset_page` says it as a message).
    place_lost: bool = False
    # The row after the page's last, when it was read with the page (None: none, or
    # not read: `following()` reads it then).
    _following: Any = None
    _keyset: Keyset | None = None

    @property
    def is_first(self) -> bool:
        return not self.has_previous

    @property
    def lost_place(self):
        """Why this is the first page when `place_lost` (`LOST_PLACE`)."""
        return LOST_PLACE

    def following(self):
        """The first row of the next page (None on the last page): what the page's last
        row is compared with, as a grade history's last change with the one before."""
        if self._following is not None or not self.has_next or self._keyset is None:
            return self._following
        keyset = self._keyset
        found = keyset.rows(after=keyset.values(self.object_list[-1]), limit=1)
        self._following = found[0] if found else None
        return self._following


# What a list says when the request named a place in it (`after`, `before`, an old
# `page`) that no cursor here reads back.
LOST_PLACE = gettext_lazy(
    "The link's place in this list no longer fits it (its filters or order "
    "changed since, or the link was cut short): this is the list's first page."
)


def _place_lost(request, *cursors) -> bool:
    """Whether the request named a place in the list that none of `cursors` (what was
    read, None each) reads back."""
    asked = any(request.GET.get(name, "").strip() for name in PAGING_PARAMETERS)
    return asked and all(cursor is None for cursor in cursors)


def _say_first_page(request) -> None:
    """Say the page shown is the first, and why, once above the list."""
    from django.contrib import messages

    messages.info(request, LOST_PLACE, fail_silently=True)


def _url(request, query: QueryDict, **extra) -> str:
    query = query.copy()
    for name, value in extra.items():
        query[name] = value
    encoded = query.urlencode()
    return f"{request.path}?{encoded}" if encoded else request.path


def keyset_page(
    request,
    queryset: QuerySet,
    ordering: Sequence,
    *,
    size: int,
    count: bool = False,
    totals: dict | None = None,
    ids_first: bool = False,
    known_count: int | None = None,
    say_lost_place: bool = True,
) -> Page:
    """The page of `queryset` in `ordering` (ending in pk) that the request's `after`
    or `before` cursor asks for; the first page without one, or with one made for
    another list, order or filters. One query for the rows (two where the first key is
    nullable and the page spans both segments), one more with `count` (and `totals`:
    aggregates over the list, given only when the count is exact). `ids_first`: see
    `Keyset`. `known_count`: how many rows `queryset` has, when the caller knows it
    without counting (a person's unfiltered list of the accounts whose ids it read):
    the count, without its query (not with `totals`). `say_lost_place` False: a place
    the request named that no cursor reads back is only noted (`Page.place_lost`), for
    a page that says it with its rows (a kept snapshot: no message goes in one)."""
    keyset = Keyset(queryset, ordering, ids_first=ids_first)
    filters = filter_query(request)
    list_id = fingerprint(request.path, sorted(filters.lists()), keyset)
    size_keys = len(keyset.keys)
    after = decode_cursor(request.GET.get("after"), list_id, size_keys)
    before = None if after else decode_cursor(request.GET.get("before"), list_id, size_keys)
    lost = _place_lost(request, after, before)
    if lost and say_lost_place:
        _say_first_page(request)

    page = Page(object_list=[], query=filters.urlencode(), place_lost=lost, _keyset=keyset)
    if before is not None:
        rows = keyset.rows(after=before, limit=size + 1, backward=True)
        if len(rows) > size:  # more before these: a page in the middle
            page.object_list = rows[:size][::-1]
            page.has_previous = page.has_next = True
        else:
            before = None  # back at the start: the first page, in full
    if before is None:
        rows = keyset.rows(after=after, limit=size + 1)
        page.object_list = rows[:size]
        page.has_next = len(rows) > size
        page.has_previous = after is not None
        page._following = rows[size] if page.has_next else None

    def cursor(row) -> str:
        return encode_cursor(list_id, keyset.values(row))

    page.first_url = _url(request, filters)
    if page.has_next and page.object_list:
        page.next_url = _url(request, filters, after=cursor(page.object_list[-1]))
    if page.has_previous and page.object_list:
        page.previous_url = _url(request, filters, before=cursor(page.object_list[0]))
    if count or totals:
        if totals or known_count is None:
            counted = bounded_count(queryset, **(totals or {}))
        else:
            counted = known_bounded(known_count)
        page.count, page.count_exact = counted.pop("count"), counted.pop("exact")
        page.count_limit = COUNT_LIMIT
        page.totals = counted if page.count_exact else {}
    return page


def list_page(request, items: list, *, key: Callable[[Any], tuple], size: int) -> Page:
    """A page of a list already in memory and sorted by `key`, descending (newest
    first), each item's key unique: the same cursors and links as `keyset_page`."""
    filters = filter_query(request)
    list_id = fingerprint(request.path, sorted(filters.lists()), "list")
    page = Page(object_list=[], query=filters.urlencode())
    keys = [key(item) for item in items]
    width = len(keys[0]) if keys else 0
    after = decode_cursor(request.GET.get("after"), list_id, width)
    before = None if after else decode_cursor(request.GET.get("before"), list_id, width)
    if items and _place_lost(request, after, before):  # an empty list has no place to keep
        page.place_lost = True
        _say_first_page(request)
    start = 0
    if after is not None:
        start = next((i for i, k in enumerate(keys) if k < after), len(items))
    elif before is not None:
        end = next((i for i, k in enumerate(keys) if k <= before), len(items))
        start = max(end - size, 0)
    page.object_list = items[start : start + size]
    page.has_previous = start > 0
    page.has_next = start + size < len(items)
    page.first_url = _url(request, filters)
    if page.has_next:
        last = encode_cursor(list_id, keys[start + size - 1])
        page.next_url = _url(request, filters, after=last)
    if page.has_previous:
        first = encode_cursor(list_id, keys[start])
        page.previous_url = _url(request, filters, before=first)
    return page
