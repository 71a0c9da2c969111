"""Filters that an app above adds to a list of an app below, so the list's app never
imports it.

The account list filters by grade, by a grade's move this week, by the largest accounts,
by money risk (`scoring`), by an open deal's stage or closing month (`opportunities`) and
by a contact rhythm that lapsed (`visits`); the pipeline board and the APIs filter by the
account's grade. Those apps stand above `accounts` (and `scoring` above `opportunities`),
so the list's own filter set declares only what its app knows, and each app above adds its
filters from its `AppConfig.ready()`, at a named place among the others:

    listfilters.add(AccountFilter, "grade", MultipleChoiceFilter(…, method=by_grade),
                    after="region")

`add` puts the filter into the filter set's `base_filters`, which both the list's form and
the API's schema (drf-spectacular reads `base_filters`) are made from, so a filter added is
a filter like the declared ones: validated by its form field, described in the schema. A
filter's `method` is a function `(queryset, name, value)`, not a method name. What a
filter offers that depends on the request (the stages, say) it sets in `prepare(filterset,
filter)`, run for each filter set made (its class must mix in `AddedFilters`); a filter
`last=True` narrows after all the others (the largest accounts among those the other
filters leave).

A choice filter of the list's own can take choices from above the same way:
`add_choice(filterset, name, (value, label), narrow, after=value)` — the account list's
coverage gaps take "no contact within its rhythm" from `visits`.
"""

from collections.abc import Callable

import django_filters
from django import forms

# The longest text a list's search takes ("Ensure this value has at most … characters"):
# longer than any name, code or region it could find, and SQLite refuses a LIKE pattern
# past 50,000 bytes.
SEARCH_MAX_LENGTH = 200


def readable(filterset) -> dict:
    """The filters `filterset` was given with a value it can read: those its `qs`
    applies (one it cannot read is left out, the form saying why; the others still
    choose the rows). Empty when unbound."""
    if not filterset.is_bound:
        return {}
    filterset.is_valid()  # `cleaned_data`: the values it can read
    return filterset.form.cleaned_data


def date_range_form(start: str, end: str, message, *, months: bool = False) -> type[forms.Form]:
    """A filter set's form (`Meta.form`) that refuses the date filter `end` before
    `start`, on `end`, and leaves both out: such a range lists nothing, where the user
    meant the other way round. `message` takes %(start)s and %(end)s (YYYY-MM-DD;
    YYYY-MM with `months`, where any day of a month stands for it)."""

    def shown(day):
        return day.strftime("%Y-%m") if months else day.isoformat()

    class DateRangeForm(forms.Form):
        def clean(self):
            cleaned = super().clean()
            first, last = cleaned.get(start), cleaned.get(end)
            if first and last and months:
                first, last = first.replace(day=1), last.replace(day=1)
            if first and last and last < first:
                self.add_error(end, message % {"end": shown(last), "start": shown(first)})
                # The range is refused as a whole: its start alone would list part of
                # what neither bound meant (`readable`, `qs` apply what is left).
                cleaned.pop(start, None)
            return cleaned

    return DateRangeForm


def add(
    filterset: type,
    name: str,
    filter_: django_filters.Filter,
    *,
    after: str,
    prepare: Callable | None = None,
    last: bool = False,
) -> None:
    """Put `filter_` into `filterset` as `name`, right after the filter `after`. Adding
    the same name again replaces it in place (a test's settings reloading the apps)."""
    filters = dict(filterset.base_filters)
    if after not in filters:
        raise ValueError(f"{filterset.__name__} has no filter {after!r} to add {name!r} after")
    filters.pop(name, None)
    filter_.field_name = filter_.field_name or name
    filter_.applied_last = last
    placed = {}
    for key, value in filters.items():
        placed[key] = value
        if key == after:
            placed[name] = filter_
    filterset.base_filters = placed
    prepares = dict(getattr(filterset, "added_prepares", {}))
    if prepare is not None:
        prepares[name] = prepare
    else:
        prepares.pop(name, None)
    filterset.added_prepares = prepares


def add_choice(
    filterset: type, name: str, choice: tuple, narrow: Callable, *, after: str | None = None
) -> None:
    """Offer `choice` (value, label) in the choice filter `name` of `filterset`, right
    after the choice `after` (last without it); `narrow(queryset)` is what it keeps. The
    filter's own method reads it from `narrowing(filter, value)`."""
    filter_ = filterset.base_filters[name]
    value = choice[0]
    choices = [c for c in filter_.extra["choices"] if c[0] != value]
    at = len(choices)
    if after is not None:
        at = next((i + 1 for i, c in enumerate(choices) if c[0] == after), at)
    choices.insert(at, choice)
    filter_.extra["choices"] = choices
    filter_.narrowings = {**getattr(filter_, "narrowings", {}), value: narrow}


def narrowing(filter_, value) -> Callable | None:
    """What the choice `value` added to `filter_` (`add_choice`) keeps, or None."""
    return getattr(filter_, "narrowings", {}).get(value)


class AddedFilters:
    """A filter set whose filters apps above may add to (`add`): each added filter's
    `prepare` runs when the filter set is made, and those added `last=True` narrow after
    all the others."""

    added_prepares: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, prepare in self.added_prepares.items():
            prepare(self, self.filters[name])

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        last = [name for name, f in self.filters.items() if getattr(f, "applied_last", False)]
        for name, value in data.items():
            if name not in last:
                queryset = self.filters[name].filter(queryset, value)
        for name in last:
            if name in data:
                queryset = self.filters[name].filter(queryset, data[name])
        return queryset
