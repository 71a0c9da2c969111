"""Paging for every API list: by cursor at any depth, by page number near the start.

A list's `next` and `previous` links carry a signed cursor (`?after=` / `?before=`, the
last (first) row's sort values, `keyaccounts.paging`): the next page is read from where
this one ended, by the list's index, so page 5,000 costs what page 1 costs. `?page=N`
still works for the first `MAX_OFFSET` rows (an `OFFSET` that deep is bounded); deeper, it
answers 400 and says to follow `next`. `count` counts at most `COUNT_LIMIT` rows
(`count_exact` says whether there are more), never every row the user may see; a view
that knows how many rows its list has (`known_count`: the accounts API, from the person's
account ids it reads anyway) is not counted again when no filter is given.

A list already in memory (a record's history) pages by number, as Django's paginator does.
"""

from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from keyaccounts.api.filters import refuse_given_twice
from keyaccounts.paging import (
    Keyset,
    bounded_count,
    decode_cursor,
    encode_cursor,
    fingerprint,
    known_bounded,
)

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# How deep `?page=N` reads (rows before the page); deeper lists page by cursor.
MAX_OFFSET = 10_000
# How many rows `count` counts at most.
COUNT_LIMIT = 10_000
CURSORS = ("after", "before")


def _whole_number(raw: str) -> bool:
    # Bounded, so int() never meets Python's limit on digits of a string.
    return raw.isascii() and raw.isdigit() and len(raw) <= 18


def _ordering(queryset) -> list:
    """The queryset's order (the view's `ordering`, or the model's), up to and with the
    primary key, which ends it if it does not already (the API's ordering adds it)."""
    ordering = []
    for item in queryset.query.order_by or queryset.model._meta.ordering or []:
        ordering.append(item)
        if isinstance(item, str) and item.lstrip("-") in ("pk", "id"):
            return ordering
    return [*ordering, "pk"]


def _refuse_cursors(request, page: str) -> None:
    """A list paged by number only (in memory: a record's history) takes no cursor: one
    sent is a 400, not page 1 again (a client would read it as the page it asked for)."""
    if sent := [name for name in CURSORS if name in request.query_params]:
        raise ValidationError(
            {
                name: [_("This list pages by number: give %(page)s instead.") % {"page": page}]
                for name in sent
            }
        )


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    @property
    def paging_params(self) -> tuple[str, ...]:
        """The query parameters of paging itself: each taken once, none a filter."""
        return (self.page_query_param, self.page_size_query_param, *CURSORS)

    def get_page_size(self, request):
        # A page_size that is no whole number or is out of range is an error (400),
        # not silently replaced by the default: a client should learn of its mistake.
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not _whole_number(raw) or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("Give a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
                    ]
                }
            )
        return int(raw)

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        if not _whole_number(raw) or int(raw) < 1:
            raise ValidationError({self.page_query_param: [_("Give a whole number from 1.")]})
        return raw

    # --- a queryset: by keyset ------------------------------------------------------

    def paginate_queryset(self, queryset, request, view=None):
        self.keyset = None
        refuse_given_twice(request.query_params, self.paging_params)
        if not hasattr(queryset, "query"):  # a list in memory
            _refuse_cursors(request, self.page_query_param)
            return super().paginate_queryset(queryset, request, view)
        self.request = request
        size = self.get_page_size(request)
        try:
            keyset = self.keyset = Keyset(queryset, _ordering(queryset))
        except (TypeError, ValueError):  # an order no keyset can follow: by number
            return super().paginate_queryset(queryset, request, view)
        params = request.query_params
        self.filters = params.copy()
        for name in self.paging_params:
            self.filters.pop(name, None)
        self.list_id = fingerprint(request.path, sorted(self.filters.lists()), keyset)
        cursors = {name: params.get(name) for name in CURSORS if params.get(name) is not None}
        if len(cursors) > 1 or (cursors and self.page_query_param in params):
            raise ValidationError(
                {
                    name: [_("Give one of after, before and page: a page is found by one of them.")]
                    for name in [*cursors, self.page_query_param]
                    if name in params
                }
            )
        self.has_next = self.has_previous = False
        self.page_number = None
        if cursors:
            ((name, token),) = cursors.items()
            values = decode_cursor(token, self.list_id, len(keyset.keys))
            if values is None:
                raise ValidationError(
                    {
                        name: [
                            _(
                                "Not a cursor of this list: give the one a `next` or "
                                "`previous` link of this list carries, with the same filters "
                                "and ordering, or start again without it."
                            )
                        ]
                    }
                )
            if name == "after":
                rows = keyset.rows(after=values, limit=size + 1)
                self.rows = rows[:size]
                self.has_next, self.has_previous = len(rows) > size, True
            else:
                rows = keyset.rows(after=values, limit=size + 1, backward=True)
                self.rows = rows[:size][::-1]
                self.has_next, self.has_previous = True, len(rows) > size
        else:
            number = int(self.get_page_number(request, None))
            offset = (number - 1) * size
            if offset >= MAX_OFFSET:
                last_page = (MAX_OFFSET - 1) // size + 1
                raise ValidationError(
                    {
                        self.page_query_param: [
                            _(
                                "Page numbers reach the first %(rows)s rows of a list (page "
                                "%(last)s at page_size %(size)s). Deeper, follow the `next` "
                                "links: they page by cursor at any depth."
                            )
                            % {"rows": MAX_OFFSET, "last": last_page, "size": size}
                        ]
                    }
                )
            rows = list(keyset.queryset.order_by(*keyset.order())[offset : offset + size + 1])
            if not rows and number > 1:
                raise NotFound(_("Invalid page."))
            self.rows = rows[:size]
            self.has_next, self.has_previous = len(rows) > size, number > 1
            self.page_number = number
        known = getattr(view, "known_count", None)
        if known is not None and not [name for name in self.filters if name != "ordering"]:
            # The view knows how many rows its list has (a person's account ids, read to
            # find the page) and no parameter but the order is given: nothing to count.
            counted = known_bounded(known, limit=COUNT_LIMIT)
        else:
            counted = bounded_count(queryset, limit=COUNT_LIMIT)
        self.count, self.count_exact = counted["count"], counted["exact"]
        return self.rows

    def _link(self, **extra) -> str:
        query = self.filters.copy()
        size = self.request.query_params.get(self.page_size_query_param)
        if size is not None:
            query[self.page_size_query_param] = size
        for name, value in extra.items():
            query[name] = value
        encoded = query.urlencode()
        url = self.request.build_absolute_uri(self.request.path)
        return f"{url}?{encoded}" if encoded else url

    def get_next_link(self):
        if self.keyset is None:
            return super().get_next_link()
        if not (self.has_next and self.rows):
            return None
        return self._link(after=encode_cursor(self.list_id, self.keyset.values(self.rows[-1])))

    def get_previous_link(self):
        if self.keyset is None:
            return super().get_previous_link()
        if not self.has_previous:
            return None
        if self.page_number is not None:  # back by number, as the client came
            if self.page_number == 2:
                return self._link()
            return self._link(**{self.page_query_param: str(self.page_number - 1)})
        if not self.rows:
            return None
        return self._link(before=encode_cursor(self.list_id, self.keyset.values(self.rows[0])))

    def get_paginated_response(self, data):
        if self.keyset is None:
            count, exact = self.page.paginator.count, True
        else:
            count, exact = self.count, self.count_exact
        return Response(
            {
                "count": count,
                "count_exact": exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        described = super().get_paginated_response_schema(schema)
        properties = described["properties"]
        properties["count"]["description"] = (
            f"How many records the list has, counted up to {COUNT_LIMIT}."
        )
        properties["count_exact"] = {
            "type": "boolean",
            "description": f"False when the list has more than {COUNT_LIMIT} records.",
        }
        properties["next"]["description"] = (
            "The next page, by cursor (`after`): follow it to read a list at any depth."
        )
        properties["previous"]["description"] = "The page before, or null on the first."
        described["required"] = ["count", "count_exact", "next", "previous", "results"]
        return described

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 10**18 - 1,
                }
                parameter["description"] = (
                    f"A page number, for the first {MAX_OFFSET} rows of the list; deeper, "
                    "follow `next`. Not with `after` or `before`."
                )
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
        for name, description in (
            ("after", "A cursor from a `next` link: the page after the row it names."),
            ("before", "A cursor from a `previous` link: the page before the row it names."),
        ):
            parameters.append(
                {
                    "name": name,
                    "required": False,
                    "in": "query",
                    "description": description,
                    "schema": {"type": "string"},
                }
            )
        return parameters


class NumberedPagination(PageNumberPagination):
    """For a list in memory (a record's history): `page` and `page_size`, no cursors —
    nor in the schema."""

    def paginate_queryset(self, queryset, request, view=None):
        self.keyset = None
        refuse_given_twice(request.query_params, self.paging_params)
        _refuse_cursors(request, self.page_query_param)
        return pagination.PageNumberPagination.paginate_queryset(self, queryset, request, view)

    def get_schema_operation_parameters(self, view):
        parameters = [
            parameter
            for parameter in super().get_schema_operation_parameters(view)
            if parameter["name"] not in CURSORS
        ]
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["description"] = "A page number, from 1."
        return parameters

    def get_paginated_response_schema(self, schema):
        described = super().get_paginated_response_schema(schema)
        described["properties"]["next"]["description"] = "The next page (`page`), or null."
        return described
