"""Filter and ordering pieces every record type's API shares.

Filters are strict: a value the schema does not allow answers 400 rather than being
ignored (django-filter's defaults ignore an empty value or an unreadable boolean), so
a client learns of its mistake instead of getting an unfiltered list.
"""

import datetime

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import filters
from rest_framework.exceptions import ValidationError

# Ids are 64-bit: a larger number is refused here rather than overflowing the database.
MAX_ID = 2**63 - 1


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """A foreign key by id. An id that does not exist, or that the user cannot see,
    matches nothing (an empty page), so a filter never reveals what exists."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class StrictBooleanField(forms.NullBooleanField):
    widget = forms.TextInput  # the select widget would turn what it cannot read into None

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value in ("true", "True", "1"):
            return True
        if value in ("false", "False", "0"):
            return False
        raise forms.ValidationError(_("Give true or false."), code="invalid")


@extend_schema_field(OpenApiTypes.BOOL)
class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, in UTC for the database: PostgreSQL refuses offsets past
    ±16 hours that ISO allows, and an offset at the ends of the calendar overflows.

    A bound of a query, not a record's day: any moment the calendar holds, without the
    range of what a record may name (`keyaccounts.days`) — a client's "from the start"
    is often the calendar's first moment (.NET's DateTime.MinValue, 0001-01-01)."""

    default_validators = []
    # What the API takes (not the pages' "YYYY-MM-DD HH:MM"): RFC 3339 with its offset.
    default_error_messages = {
        "invalid": _(
            "Enter a date and time in ISO 8601 with its offset, such as "
            "2027-03-31T14:30:00+08:00 (a date alone, 2027-03-31, is the start of that day "
            "in the company's time zone)."
        )
    }

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(datetime.UTC)
        except OverflowError:
            # The calendar's first (or last) day, in a zone ahead of (behind) UTC: its
            # moment in UTC is outside the calendar. As a bound it is the calendar's end:
            # no record is older (newer).
            end = datetime.datetime.min if value.year == 1 else datetime.datetime.max
            return end.replace(tzinfo=datetime.UTC)


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class _StrictForm(forms.Form):
    """The checks of `FilterSet`, in its form's validation: so `errors`, `is_valid()`
    and `qs` (which reads `errors`, never `is_valid`) agree, and each problem is said
    once however often they are asked."""

    text_filters: frozenset = frozenset()

    def clean(self):
        cleaned = super().clean()
        for name in self.fields:
            if self.data.get(name) == "" and name not in self.text_filters:
                self.add_error(name, _("Give a value or leave the parameter out."))
        single = [
            name
            for name, field in self.fields.items()
            if not getattr(field.widget, "allow_multiple_selected", False)
        ]
        for name, errors in given_twice(self.data, single).items():
            self.add_error(name, errors)
        return cleaned


class FilterSet(django_filters.FilterSet):
    """A present but empty parameter is an error, except for text (`q=` searches nothing);
    so is a parameter given twice for a filter of one value (`?status=open&status=won`
    would otherwise list only the won ones, the first value dropped without a word). A
    filter refused is left out of `qs` (an export's rows) as the API refuses it."""

    def get_form_class(self):
        form_class = super().get_form_class()
        texts = frozenset(
            name
            for name, filter_ in self.filters.items()
            if isinstance(filter_, django_filters.CharFilter)
        )
        return type(form_class.__name__, (_StrictForm, form_class), {"text_filters": texts})


def given_twice(query, names) -> dict[str, list[str]]:
    """{name: [why]} for each of `names` (parameters of one value: a filter, `ordering`,
    the paging's) that `query` gives more than once: the last would otherwise be read
    alone, the others dropped without a word."""
    getlist = getattr(query, "getlist", None)
    found = {}
    for name in names if getlist is not None else ():
        if (count := len(getlist(name))) > 1:
            found[name] = [
                _("Given %(count)s times: this parameter takes one value. Give it once.")
                % {"count": count}
            ]
    return found


class SyncFilterSet(FilterSet):
    updated_after = IsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        label=_("Changed at or after this time (ISO 8601). For syncing use changes/."),
    )


def refuse_given_twice(query, names) -> None:
    """400 naming each of `names` that `query` gives more than once (`given_twice`)."""
    if twice := given_twice(query, names):
        raise ValidationError(twice)


class OrderingFilter(filters.OrderingFilter):
    """`?ordering=name,-updated_at` among the view's `ordering_fields`, then by id, so
    that rows with equal values keep one order from page to page. Unknown names are
    ignored; `ordering` given twice is refused (`given_twice`)."""

    def get_ordering(self, request, queryset, view):
        refuse_given_twice(request.query_params, [self.ordering_param])
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if not {"id", "-id", "pk", "-pk"} & set(ordering):
            ordering.append("pk")
        return ordering

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        names = ", ".join(getattr(view, "ordering_fields", []))
        for parameter in parameters:
            parameter["description"] = (
                f"Comma-separated fields to sort by, `-` first for descending: {names}. "
                "Ties are broken by id."
            )
        return parameters


FILTER_BACKENDS = [django_filters.rest_framework.DjangoFilterBackend, OrderingFilter]
