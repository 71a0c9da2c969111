"""`get_FOO_display()` without translating every choice of the field.

Django's own `Model._get_FIELD_display` builds `dict(make_hashable(field.flatchoices))` on
every call: hashing each choice's label, and a label is a lazy translation, so each call
translates every label of the field to show one of them (an industry: 20 `gettext` calls
for one cell). A list of 25 accounts spent 8 of its 60 ms there. `ChoiceLabels` keeps,
per field, a dict from each stored value to its (lazy) label, built once, and translates
only the label shown, in the language active at the time, as Django's does.

Every model of the project with a choices field takes it (first among its bases);
`keyaccounts/tests/test_choices.py` checks that none is missed and that the labels are
Django's own in both languages.
"""

from functools import cache

from django.db import models
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable


@cache
def _labels(field: models.Field) -> dict:
    """The field's stored values and their labels (lazy: translated when shown). A model's
    fields and their choices are fixed once its class is made, so this is kept."""
    return {make_hashable(value): label for value, label in field.flatchoices}


def choice_label(field: models.Field, value):
    """What `get_FOO_display()` answers for `value`: its label in the active language, or
    the value itself where it is not one of the choices (Django's rule)."""
    return force_str(_labels(field).get(make_hashable(value), value), strings_only=True)


class ChoiceLabels(models.Model):
    """Put first among a model's bases: its `get_FOO_display()` read `choice_label`."""

    class Meta:
        abstract = True

    def _get_FIELD_display(self, field):
        return choice_label(field, getattr(self, field.attname))
