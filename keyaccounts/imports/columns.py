"""The columns an import type reads, and how a file's headers are recognised.

A column is a model field (its verbose name is the column's name, in English and in
Chinese: the same names the forms, the lists and the exports show) or a reference to
another record (an account, a user, a stage, contacts). A header is recognised when it
is a column's name in either language — with or without the unit in brackets, in any
case, full-width or not — its field name, or one of the column's aliases (客户名称,
Company, 手机…). What no column claims is left for the user to map by hand.
"""

import re
from dataclasses import dataclass, field

from django.db import models
from django.utils.text import capfirst
from django.utils.translation import override

from .values import normalize

LANGUAGES = ("en", "zh-hans")
# What other files call a column naming an account (beside its own name, "Account" /
# 客户): every import's account column. "Account name" / 客户名称 is also the header of
# the exports' name column beside the key (`exports.columns.ACCOUNT_NAME`): an import
# reads the key column before it and says why this one is not imported.
ACCOUNT_ALIASES = ("客户名称", "客户", "Company", "Customer", "Account name")


@dataclass(frozen=True)
class Column:
    key: str  # the field (or reference) the column fills
    kind: str  # text integer decimal boolean date datetime month choice user users
    #            stage account contact contacts
    label: object  # lazy text: the column's name
    required: bool = False  # a new record needs it
    aliases: tuple[str, ...] = ()
    choices: tuple = ()  # (stored value, lazy label) of a choice column
    help: object = ""  # what goes in it, when the name does not say
    max_length: int | None = None  # a text column's longest value (its field's)

    @property
    def title(self) -> str:
        return capfirst(str(self.label))


def field_kind(model_field) -> str:
    """The column kind a model field reads as."""
    from accounts.models import Account, Contact, User

    if model_field.many_to_many:
        return "contacts" if model_field.related_model is Contact else "users"
    if model_field.is_relation:
        target = model_field.related_model
        if target is Account:
            return "account"
        if target is Contact:
            return "contact"
        if issubclass(target, User):
            return "user"
        return target._meta.model_name  # "stage"
    if model_field.choices:
        return "choice"
    if isinstance(model_field, models.BooleanField):
        return "boolean"
    if isinstance(model_field, models.DecimalField):
        return "decimal"
    if isinstance(model_field, models.IntegerField):
        return "integer"
    if isinstance(model_field, models.DateTimeField):
        return "datetime"
    if isinstance(model_field, models.DateField):
        return "date"
    return "text"


def model_columns(model, names: list[str], *, aliases: dict | None = None, **overrides):
    """Columns for `names`, fields of `model`, in that order. `overrides[name]` replaces
    attributes of one column (a dict: required, kind, help…)."""
    aliases = aliases or {}
    columns = []
    for name in names:
        model_field = model._meta.get_field(name)
        required = not model_field.blank and not model_field.has_default()
        attributes = {
            "key": name,
            "kind": field_kind(model_field),
            "label": model_field.verbose_name,
            "required": required,
            "aliases": tuple(aliases.get(name, ())),
            "choices": tuple(model_field.choices or ()),
            "max_length": getattr(model_field, "max_length", None),
        }
        attributes.update(overrides.get(name, {}))
        columns.append(Column(**attributes))
    return columns


@dataclass
class HeaderIndex:
    """Header text (normalised) → column key, for one import type."""

    keys: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, columns: list[Column]) -> "HeaderIndex":
        index = cls()
        names: list[tuple[str, str]] = []
        for language in LANGUAGES:
            with override(language):
                names += [(column.key, str(column.label)) for column in columns]
        exact = [(key, normalize(name)) for key, name in names]
        exact += [(column.key, normalize(column.key)) for column in columns]
        exact += [(column.key, normalize(alias)) for column in columns for alias in column.aliases]
        for key, name in exact:
            index.keys.setdefault(name, key)
        # Without the unit: "annual revenue" for "annual revenue (10k CNY)", unless two
        # columns would then share a name.
        bare: dict[str, set[str]] = {}
        for key, name in names:
            short = normalize(_without_brackets(name))
            if short:
                bare.setdefault(short, set()).add(key)
        for short, keys in bare.items():
            if len(keys) == 1:
                index.keys.setdefault(short, next(iter(keys)))
        return index

    def key_for(self, header: str) -> str | None:
        name = normalize(header)
        if not name:
            return None
        return self.keys.get(name) or self.keys.get(normalize(_without_brackets(header)))

    def recognise(self, headers: list[str]) -> list[str | None]:
        """The column each header fills (None: not recognised); a column is filled by its
        first header only."""
        taken: set[str] = set()
        mapping: list[str | None] = []
        for header in headers:
            key = self.key_for(header)
            if key in taken:
                key = None
            if key:
                taken.add(key)
            mapping.append(key)
        return mapping

    def score(self, headers: list[str]) -> int:
        return sum(1 for key in self.recognise(headers) if key)


def _without_brackets(text: str) -> str:
    return re.sub(r"[(（\[].*?[)）\]]", "", str(text)).strip()
