"""The admin's autocomplete fields draw a refused value without looking it up.

When a change form comes back with its errors, Django's autocomplete widget
(`AutocompleteMixin.optgroups`) looks up the records the posted values name to draw them
as chosen — with the values as posted: text where an id goes ("not-an-option", NUL)
raises ValueError, and a number past 64 bits OverflowError on SQLite, so a form that
should have shown "Select a valid choice" answered 500. `install()`, from
`KeyaccountsConfig.ready`, wraps that method once so that it looks up only the values
the related model's key could hold; the others are left undrawn, as Django leaves an id
nobody has, and the field's own error says what is wrong. One wrap rather than a widget
subclass in each of the admin's autocomplete fields, which a new one could miss.
"""

from functools import wraps

from django.core.exceptions import ValidationError
from django.db import connections


def _holdable(widget, values) -> list:
    """The `values` the key the widget's field points to could hold."""
    remote = widget.field.remote_field
    opts = remote.model._meta
    target = opts.get_field(getattr(remote, "field_name", None) or opts.pk.attname)
    ranges = connections[widget.db or "default"].ops.integer_field_ranges
    low, high = ranges.get(target.get_internal_type(), (None, None))
    kept = []
    for value in values:
        try:
            key = target.to_python(value)
        except (ValidationError, TypeError, ValueError):
            continue
        too_low = low is not None and isinstance(key, int) and key < low
        too_high = high is not None and isinstance(key, int) and key > high
        if too_low or too_high:
            continue
        if isinstance(key, str) and "\x00" in key:
            continue
        kept.append(value)
    return kept


def install() -> None:
    from django.contrib.admin.widgets import AutocompleteMixin

    original = AutocompleteMixin.optgroups
    if getattr(original, "holdable_only", False):
        return

    @wraps(original)
    def optgroups(self, name, value, attr=None):
        return original(self, name, _holdable(self, value or []), attr)

    optgroups.holdable_only = True
    AutocompleteMixin.optgroups = optgroups
