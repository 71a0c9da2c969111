"""What counts as text: no control characters (C0, DEL, C1), but tab, newline and
carriage return in a text of several lines.

A NUL is refused by PostgreSQL in any text column, and the other controls (a bell, a
form feed, an escape pasted from a terminal, a C1 character from a file decoded with the
wrong code page) cannot be written into an XLSX export (XML 1.0 forbids them), show as
nothing on a page, and may drive a terminal that prints a log; a line break in a name
breaks every list and file that shows it on one line. So input that holds one is refused
where it comes in, naming the field, by one rule that `install()` applies to the whole
project when the apps are ready (`KeyaccountsConfig.ready`):

- every `CharField` (one line: no control character at all) and `TextField` (several
  lines: tab, newline and carriage return allowed) of every model gets the validator
  `NoControlCharacters`, which model forms, the admin, the API's model serializers
  (DRF copies a model field's validators), services (`full_clean`) and imports reach;
- every form `CharField` and API serializer `CharField` that is no model field's (a
  search box, a follow-up's feedback, a factor's label, a token's name before it is a
  model's) gets it as a default validator, allowing tab and line breaks (a plain field
  does not say whether it holds one line or several; a model field it ends up in does);
- query strings are checked before any view (keyaccounts/querystring.py), and a page
  form's body that is no UTF-8 is refused before any view
  (keyaccounts/formbody.py).

The validator is only added to each field's list of validators, never to its
`deconstruct()`: migrations do not change.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# C0 but tab, newline and carriage return; DEL; C1.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# The same with tab, newline and carriage return: what a single line may not hold.
LINE_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def has_control_characters(value: str, *, multiline: bool = True) -> bool:
    pattern = CONTROL_CHARACTERS if multiline else LINE_CONTROL_CHARACTERS
    return bool(pattern.search(value))


@deconstructible
class NoControlCharacters:
    """Refuse text with a control character; `multiline`: tab and line breaks are text."""

    code = "control_characters"

    def __init__(self, multiline: bool = True):
        self.multiline = multiline

    def __call__(self, value):
        if not isinstance(value, str) or not has_control_characters(
            value, multiline=self.multiline
        ):
            return
        if self.multiline:
            message = _(
                "Remove the control characters (such as NUL or a bell) from the text: "
                "tabs and line breaks are the only ones allowed."
            )
        else:
            message = _(
                "Remove the control characters (such as a line break, a tab or NUL) from "
                "the text: this field holds a single line."
            )
        raise ValidationError(message, code=self.code)

    def __eq__(self, other):
        return isinstance(other, NoControlCharacters) and other.multiline == self.multiline


def guard_model(model) -> None:
    """Give every text field of `model` the validator (once)."""
    from django.db import models

    for field in model._meta.local_fields:
        if not isinstance(field, models.CharField | models.TextField):
            continue
        if any(isinstance(v, NoControlCharacters) for v in field.validators):
            continue
        # `validators` is a cached list (CharField appends its MaxLengthValidator the
        # same way); `_validators`, which `deconstruct()` reads, stays as declared.
        field.validators.append(NoControlCharacters(multiline=isinstance(field, models.TextField)))


def _on_class_prepared(sender, **kwargs):
    guard_model(sender)


def install() -> None:
    """Apply the rule to every model (and any created later), to form fields and to API
    serializer fields."""
    from django import forms
    from django.apps import apps
    from django.db.models.signals import class_prepared
    from rest_framework import fields as drf_fields

    for model in apps.get_models(include_auto_created=True):
        guard_model(model)
    class_prepared.connect(_on_class_prepared, dispatch_uid="keyaccounts.text")
    # A plain field (not a model field's): tab and line breaks allowed.
    lenient = [NoControlCharacters(multiline=True)]
    for field_class in (forms.CharField, drf_fields.CharField):
        if not any(isinstance(v, NoControlCharacters) for v in field_class.default_validators):
            field_class.default_validators = [*field_class.default_validators, *lenient]
    _one_message_for_nul(forms.CharField)
    _one_message_for_nul(drf_fields.CharField)


def _one_message_for_nul(field_class) -> None:
    """A form `CharField` (and the API's) adds Django's own NUL check to its validators, which says
    again, less helpfully (and in Chinese mistranslated), what a field's
    `NoControlCharacters` says of a NUL: where that validator is on the field, Django's
    is left out (one message, naming what to do)."""
    from django.core.validators import ProhibitNullCharactersValidator

    original = field_class.__init__
    if getattr(original, "one_message_for_nul", False):
        return

    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        if any(isinstance(v, NoControlCharacters) for v in self.validators):
            self.validators = [
                v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)
            ]

    __init__.one_message_for_nul = True
    field_class.__init__ = __init__


def join_words(items, *, reasons: bool = False) -> str:
    """Names (or, with `reasons=True`, whole clauses) joined as the language joins them:
    "a, b" / "a；b" in English, "a、b" / "a；b" in Chinese — never an ASCII comma inside
    Chinese text."""
    from django.utils.translation import pgettext

    separator = pgettext("between clauses", "; ") if reasons else pgettext("between names", ", ")
    return separator.join(str(item) for item in items)


def words_and(items) -> str:
    """Phrases joined as the language lists them: "3 contacts, 2 visits and 1 deal" /
    "3 位联系人、2 次拜访和 1 个商机" (Django's `get_text_list` puts a space before the
    last word in every language: "2 次拜访 和 1 个商机")."""
    from django.utils.translation import pgettext

    items = [str(item) for item in items]
    if len(items) < 2:
        return "".join(items)
    return pgettext("a list's last item", "%(most)s and %(last)s") % {
        "most": join_words(items[:-1]),
        "last": items[-1],
    }
