"""A form's multiple choice of records refuses a number no key column holds; a form's
decimal number too large for its column says the largest it takes.

Django's `ModelMultipleChoiceField` (a visit's people, a deal's exit criteria, a user's
groups in the admin …) looks the posted ids up with `pk__in`; a number past 64 bits
makes SQLite raise OverflowError, so the form answered 500 where it should say "Select a
valid choice". `install()`, from `KeyaccountsConfig.ready`, wraps the field's check once
so that a number outside the range of the key column is refused as a choice not offered,
before any lookup: one rule for every such field, the admin's and the filters' included,
rather than a field class that a new form could miss.

A `DecimalField` with `max_digits` (a deal's amount: 14 digits, 2 after the point) said
Django's "Ensure that there are no more than 14 digits in total.", which leaves the user
counting digits: `install()` has such a field say the largest number it takes ("Enter
at most 999,999,999,999.99."; the smallest for a negative one), or that the decimals
are too many when they are what made the digits too many.

Django's "Enter a valid date." (and time, and date/time) says what is wrong but not what
is expected: `install()` has every such form field name the format it reads and give an
example. Its "Select a valid choice. x is not one of the available choices." names the
value but not the choices: for a field of a few fixed choices (a grade, a state, an
attitude), the message goes on to list them, in the reader's language. A choice of
records (a model's rows) is left as it is: its choices are a query, not a short list.
"""

import datetime
import re
from decimal import Decimal
from functools import wraps

from django.core.exceptions import ValidationError
from django.core.validators import DecimalValidator
from django.db import connections
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

# A choice field of at most this many choices lists them when a value is none of them.
CHOICES_LISTED = 12


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


def largest(max_digits: int, decimal_places: int) -> Decimal:
    """The largest number of `max_digits` digits, `decimal_places` of them after the
    point: 999999999999.99 for (14, 2)."""
    return Decimal(10) ** (max_digits - decimal_places) - Decimal(1).scaleb(-decimal_places)


def _install_decimal_limits() -> None:
    from django.forms import DecimalField

    original = DecimalField.run_validators
    if getattr(original, "says_largest", False):
        return

    @wraps(original)
    def run_validators(self, value):
        try:
            original(self, value)
        except ValidationError as error:
            if self.max_digits is None or self.decimal_places is None:
                raise
            raise ValidationError(
                [_said_plainly(self, value, each) for each in error.error_list]
            ) from None

    run_validators.says_largest = True
    DecimalField.run_validators = run_validators


def _said_plainly(field, value, error: ValidationError) -> ValidationError:
    """Django's "no more than 14 digits in total" (or "before the decimal point") said as
    the largest number the field takes, or as too many decimal places when that is what
    made the digits too many."""
    if error.code not in ("max_digits", "max_whole_digits"):
        return error
    top = largest(field.max_digits, field.decimal_places)
    if abs(value) <= top:  # the decimals made it long: say so
        return ValidationError(
            DecimalValidator.messages["max_decimal_places"],
            code="max_decimal_places",
            params={"max": field.decimal_places, "value": value},
        )
    if value < 0:
        message = _("Enter at least %(smallest)s.") % {"smallest": f"{-top:,}"}
    else:
        message = _("Enter at most %(largest)s.") % {"largest": f"{top:,}"}
    return ValidationError(message, code=error.code, params={"value": value})


def _install_date_formats() -> None:
    from django import forms

    said = {
        forms.DateField: gettext_lazy(
            "Enter a valid date, as YYYY-MM-DD (for example 2027-03-31)."
        ),
        forms.DateTimeField: gettext_lazy(
            "Enter a valid date and time, as YYYY-MM-DD HH:MM (for example 2027-03-31 14:30)."
        ),
        forms.TimeField: gettext_lazy("Enter a valid time, as HH:MM (for example 14:30)."),
    }
    for field, message in said.items():
        # The class's own dictionary: a field given its own "invalid" keeps it.
        field.default_error_messages = {**field.default_error_messages, "invalid": message}
    # Left empty: what it wants, in the same words ("This field is required." says not).
    required = {
        forms.DateField: gettext_lazy("Enter the date, as YYYY-MM-DD (for example 2027-03-31)."),
        forms.DateTimeField: gettext_lazy(
            "Enter the date and time, as YYYY-MM-DD HH:MM (for example 2027-03-31 14:30)."
        ),
        forms.TimeField: gettext_lazy("Enter the time, as HH:MM (for example 14:30)."),
    }
    for field, message in required.items():
        field.default_error_messages = {**field.default_error_messages, "required": message}


def choose_one_of(message, choices: list[str]) -> str:
    """`message` (what is wrong) followed by the choices there are, in the reader's
    language and punctuation."""
    return _("%(message)s Choose one of: %(choices)s.") % {
        "message": message,
        "choices": pgettext("punctuation", ", ").join(choices),
    }


def said_as_is(message: str, *, code: str) -> ValidationError:
    """A message already worked out (it may hold the user's "%"), as a ValidationError
    that whoever renders it with its params — Django, django-filter's `message % params`
    — shows as it is."""
    return ValidationError("%(said)s", code=code, params={"said": message})


def choices_listed(choices) -> list[str]:
    """Each of `choices` (groups flattened, the empty choice left out) as the value to
    send, with its label beside it when that says something else ("done (Done)": a list's
    filter is also the API's, whose clients send the value), or [] when they are more
    than `CHOICES_LISTED`."""
    pairs = []
    for value, label in choices:
        if isinstance(label, list | tuple):
            pairs.extend((key, inner) for key, inner in label if key not in ("", None))
        elif value not in ("", None):
            pairs.append((value, label))
    if len(pairs) > CHOICES_LISTED:
        return []
    opening, closing = pgettext("punctuation", " ("), pgettext("punctuation", ")")
    return [
        f"{value}" if f"{value}" == f"{label}" else f"{value}{opening}{label}{closing}"
        for value, label in pairs
    ]


# A day written as a day (2027-02-30, 2027-2-30 10:00) that the calendar does not have.
WRITTEN_AS_A_DAY = re.compile(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?\s*$", re.DOTALL)


def no_such_day(value) -> str | None:
    """The message for `value` when it is written as a day the calendar does not have
    ("2027-02-30", "2027-13-01 10:00"); None for anything else."""
    match = WRITTEN_AS_A_DAY.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    try:
        datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        day = "-".join(match.groups())
        return _("There is no day %(day)s in the calendar: check its month and day.") % {"day": day}
    return None


def _install_record_choice_named() -> None:
    """Django's ModelChoiceField says "Select a valid choice. That choice is not one of the
    available choices." without the value: here it names it, as a plain choice's message
    does, and lists the records that can be chosen when they are few (a team filter's
    teams): "… Choose one of: 3 (East), 5 (North)."."""
    from django.forms import ChoiceField, ModelChoiceField

    original = ModelChoiceField.__dict__["to_python"]
    if getattr(original, "names_the_value", False):
        return
    django_default = ModelChoiceField.default_error_messages["invalid_choice"]

    @wraps(original)
    def to_python(self, value):
        try:
            return original(self, value)
        except ValidationError as error:
            own = self.error_messages.get("invalid_choice")
            if error.code != "invalid_choice" or own != django_default:
                raise  # a field with a message of its own (the pickers') keeps it
            said = ChoiceField.default_error_messages["invalid_choice"] % {"value": value}
            labels = (
                choices_listed(
                    (f"{choice}", label) for choice, label in self.choices if choice != ""
                )
                if self.queryset.count() <= CHOICES_LISTED
                else []
            )
            if labels:
                said = choose_one_of(said, labels)
            raise said_as_is(said, code="invalid_choice") from None

    to_python.names_the_value = True
    ModelChoiceField.to_python = to_python


def _install_no_such_day() -> None:
    """A day the calendar does not have is said as such, not as a wrong format: forms
    (Django's date and date-time fields) and the API's (DRF's)."""
    from django import forms
    from rest_framework import fields as drf_fields

    def wrap(field_class, method: str, error_class) -> None:
        original = field_class.__dict__.get(method) or getattr(field_class, method)
        if getattr(original, "says_no_such_day", False):
            return

        @wraps(original)
        def read(self, value, _original=original):
            try:
                return _original(self, value)
            except error_class as error:
                said = no_such_day(value)
                if said is None:
                    raise
                if error_class is ValidationError:
                    raise said_as_is(said, code="invalid") from error
                raise error_class(said, code="invalid") from error

        read.says_no_such_day = True
        setattr(field_class, method, read)

    wrap(forms.DateField, "to_python", ValidationError)
    wrap(forms.DateTimeField, "to_python", ValidationError)
    from rest_framework.exceptions import ValidationError as DRFValidationError

    wrap(drf_fields.DateField, "to_internal_value", DRFValidationError)
    wrap(drf_fields.DateTimeField, "to_internal_value", DRFValidationError)


def _install_api_choices_listed() -> None:
    """The API's "“xx” is not a valid choice." goes on to list the values it takes, when
    they are few (a body's choice field; a list's filters are forms, above)."""
    from rest_framework import fields as drf_fields
    from rest_framework.exceptions import ValidationError as DRFValidationError

    # A multiple choice reads each item through the single choice's method: wrapped once.
    for kind in (drf_fields.ChoiceField,):
        original = kind.__dict__["to_internal_value"]
        if getattr(original, "lists_choices", False):
            continue

        def to_internal_value(self, data, _original=original):
            try:
                return _original(self, data)
            except DRFValidationError as error:
                codes = error.get_codes()
                values = [key for key in self.choices if key not in ("", None)]
                if codes != ["invalid_choice"] or not values or len(values) > CHOICES_LISTED:
                    raise
                said = choose_one_of(error.detail[0], [f"{v}" for v in values])
                raise DRFValidationError([said], code="invalid_choice") from None

        to_internal_value.lists_choices = True
        kind.to_internal_value = to_internal_value


def _install_choices_listed() -> None:
    from django.forms import ChoiceField, ModelChoiceField, MultipleChoiceField

    for kind in (ChoiceField, MultipleChoiceField):
        original = kind.__dict__["validate"]
        if getattr(original, "lists_choices", False):
            continue

        def validate(self, value, _original=original):
            try:
                _original(self, value)
            except ValidationError as error:
                if error.code != "invalid_choice" or isinstance(self, ModelChoiceField):
                    raise
                labels = choices_listed(self.choices)
                if not labels:
                    raise
                said = choose_one_of(error.messages[0], labels)
                raise said_as_is(said, code="invalid_choice") from None

        validate.lists_choices = True
        kind.validate = validate


def install() -> None:
    from django.forms import ModelMultipleChoiceField

    _install_decimal_limits()
    _install_date_formats()
    _install_choices_listed()
    _install_no_such_day()
    _install_api_choices_listed()
    _install_record_choice_named()

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
