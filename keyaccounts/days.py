"""The days a record may name: from 1900-01-01 to 9998-12-31.

Python's calendar ends at 0001-01-01 and 9999-12-31. A day typed at either end (a slip
of the year, a client's placeholder, a pasted "9999-12-31") passes every parser, then
breaks what the record works out from it: a visit's follow-up is due a week after its
day, a moment of 0001-01-01 in Shanghai is a day before the calendar in UTC (SQLite
stores UTC), a rhythm or payment terms count days onwards. So every day and moment
given as input is held to this range, with one message, by one rule installed at
start-up (`install()`, from `KeyaccountsConfig.ready`, as `keyaccounts.text` installs
its own) rather than a check per field that a new field could miss:

- every model `DateField` and `DateTimeField` gets the validator `within_calendar`,
  which model forms, the admin, the API's model serializers, services' `full_clean` and
  the imports' row checks reach; it is added to the field's `validators` list, not to
  what `deconstruct()` reads, so migrations do not see it;
- every plain form and serializer date and date-time field has it as a default
  validator (the list filters' dates too: a filter out of range is an error on it;
  not the API's date-time bounds, `keyaccounts.api.filters.UtcIsoDateTimeField`);
- a spreadsheet cell outside the range is refused as it is read
  (`keyaccounts.imports.values`), before anything is worked out from it.

A year of room is left after `LATEST` for what a record works out from its days.
"""

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(9998, 12, 31)


def in_calendar(day: datetime.date) -> bool:
    """Whether `day` (a date, or a moment's own day) is within the range. A moment
    with its time zone is also held to it in UTC, as it is stored: 1900-01-01 03:00 in
    Shanghai is 1899-12-31 in UTC, and its record, read back, would fail its own check
    on every later save (a review that could not be cancelled)."""
    if isinstance(day, datetime.datetime):
        moment, day = day, day.date()
        if moment.tzinfo is not None and EARLIEST <= day <= LATEST:
            day = moment.astimezone(datetime.UTC).date()  # no overflow within the range
    return EARLIEST <= day <= LATEST


def out_of_calendar_message() -> str:
    return _("Give a day from %(first)s to %(last)s.") % {
        "first": EARLIEST.isoformat(),
        "last": LATEST.isoformat(),
    }


def within_calendar(value) -> None:
    """A validator of a date or date-time field: the value's day within the range."""
    if value is not None and not in_calendar(value):
        raise ValidationError(out_of_calendar_message(), code="out_of_calendar")


def _guard_model(model) -> None:
    """Give every date and date-time field of `model` the validator (once)."""
    from django.db import models

    for field in model._meta.local_fields:
        if isinstance(field, models.DateField) and within_calendar not in field.validators:
            # `validators` is a cached list; `_validators`, which `deconstruct()` reads,
            # stays as declared.
            field.validators.append(within_calendar)


def _on_class_prepared(sender, **kwargs):
    _guard_model(sender)


def install() -> None:
    """Apply the range to every model (and any created later), to form fields and to
    API serializer fields."""
    from django import forms
    from django.apps import apps
    from django.db.models.signals import class_prepared
    from rest_framework import fields as drf_fields

    for model in apps.get_models(include_auto_created=True):
        _guard_model(model)
    class_prepared.connect(_on_class_prepared, dispatch_uid="keyaccounts.days")
    for field_class in (
        forms.DateField,
        forms.DateTimeField,
        drf_fields.DateField,
        drf_fields.DateTimeField,
    ):
        if within_calendar not in field_class.default_validators:
            field_class.default_validators = [*field_class.default_validators, within_calendar]
