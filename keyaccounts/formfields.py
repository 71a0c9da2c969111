"""A form's multiple choice of records refuses a number no key column holds.

Django's `ModelMultipleChoiceField` (a visit's people, a deal's exit criteria, a user's
groups in the admin …) looks the posted ids up with `pk__in`; a number past 64 bits
makes SQLite raise OverflowError, so the form answered 500 where it should say "Select a
valid choice". `install()`, from `KeyaccountsConfig.ready`, wraps the field's check once
so that a number outside the range of the key column is refused as a choice not offered,
before any lookup: one rule for every such field, the admin's and the filters' included,
rather than a field class that a new form could miss.
"""

from functools import wraps

from django.core.exceptions import ValidationError
from django.db import connections


def key_range(target, using: str | None) -> tuple[int | None, int | None]:
    """The lowest and highest whole number the column `target` (a model field) holds on
    the database `using`; (None, None) for a column that is no whole number."""
    ranges = connections[using or "default"].ops.integer_field_ranges
    return ranges.get(target.get_internal_type(), (None, None))


def _out_of_range(field, values):
    """The first of `values` that is a whole number the key column cannot hold."""
    model = field.queryset.model
    target = model._meta.get_field(field.to_field_name) if field.to_field_name else model._meta.pk
    low, high = key_range(target, field.queryset.db)
    if low is None:
        return None
    for value in values:
        text = str(value).strip()
        digits = text[1:] if text[:1] in "+-" else text
        if text.isascii() and digits.isdigit() and not low <= int(text) <= high:
            return value
    return None


def install() -> None:
    from django.forms import ModelMultipleChoiceField

    original = ModelMultipleChoiceField._check_values
    if getattr(original, "in_range_only", False):
        return

    @wraps(original)
    def _check_values(self, value):
        if isinstance(value, list | tuple) and (bad := _out_of_range(self, value)) is not None:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": bad},
            )
        return original(self, value)

    _check_values.in_range_only = True
    ModelMultipleChoiceField._check_values = _check_values
