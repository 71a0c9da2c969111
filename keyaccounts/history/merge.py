"""Saving again after a version conflict writes what the person changed, not what they saw.

A form of a versioned record carries the version it was opened at. When someone else
saved in between, the save is refused and the form shown again with the person's input
(the app's forms, `accounts.forms.VersionedForm`; the admin's,
`keyaccounts.history.admin.OpenedVersionForm`). Saving again is a choice, but it used to
write every field as the form showed it, so the other person's changes to fields this
person never touched went back to what they were when the form was opened.

`MergingForm` judges the input against the record *as it was opened*: its history entry
of that version gives the form's initial values, so `changed_data` is what this person
changed. The version they were shown the conflict against is carried as `seen_version`
(hidden; the opened version never moves); a save at that version then takes the
record's current value for every field the person left alone, and theirs for the rest.
Where the opened version's entry is gone, the form falls back to writing what it shows.
"""

import datetime

from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from .parts import parts_in_reason
from .timeline import HIDDEN_FIELDS

SEEN_VERSION = "seen_version"


def _model_field(model, name: str):
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if not field.concrete or field.auto_created or field.primary_key:
        return None
    return field


def history_entry(record: models.Model, version: int):
    """`record`'s history entry of `version` (the last, if several), or None."""
    return (
        type(record).history.filter(id=record.pk, version=version).order_by("-history_id").first()
    )


def entry_values(model, entry, names) -> dict:
    """The model fields among `names` as the history entry `entry` holds them."""
    kept_m2m = set(getattr(model, "_history_m2m_fields", ()))
    values = {}
    for name in names:
        field = _model_field(model, name)
        if field is None:
            continue
        if field.many_to_many:
            if name in kept_m2m:
                column = f"{field.m2m_reverse_field_name()}_id"
                values[name] = sorted(getattr(entry, name).values_list(column, flat=True))
        elif hasattr(entry, field.attname):  # not a field the history leaves out
            values[name] = getattr(entry, field.attname)
    return values


# Not what a person changes: bookkeeping (as the history's timeline hides it).
BOOKKEEPING = HIDDEN_FIELDS | {"merged_into"}
STEPS_TOLD = 50  # versions since the one named, at most, that a 412 explains


def fields_changed_since(record: models.Model, version: int, *, exposed=None) -> list[str] | None:
    """The names of `record`'s fields (and parts, as the changes feed names them) that
    changed from its version `version` to now, sorted, among `exposed` (the API's field
    names) if given; None when that cannot be told: a version of the history missing,
    more than STEPS_TOLD versions since, or a version that changed nothing it can name.
    The API's 412 gives them (`changed_fields`), so a client whose write sets none of
    them may send it again safely."""
    model = type(record)
    if not 0 < record.version - version <= STEPS_TOLD:
        return None
    rows = model.history.filter(
        id=record.pk, version__gte=version, version__lte=record.version
    ).order_by("history_id")
    latest = {entry.version: entry for entry in rows}  # the last entry of each version
    if len(latest) != record.version - version + 1:
        return None
    names = [
        field.name
        for field in model._meta.get_fields()
        if field.name not in BOOKKEEPING
        and _model_field(model, field.name) is not None
        and not getattr(field, "auto_now", False)
        and not getattr(field, "auto_now_add", False)
    ]
    changed = set()
    before = entry_values(model, latest[version], names)
    for step in range(version + 1, record.version + 1):
        entry = latest[step]
        after = entry_values(model, entry, names)
        told = {name for name in after if after[name] != before.get(name)}
        told |= set(parts_in_reason(entry.history_change_reason))
        if not told:
            return None  # a version made for something the history does not name
        changed |= told
        before = after
    if exposed is not None:
        changed &= set(exposed)
    return sorted(changed)


def values_now(record: models.Model, names) -> dict:
    """The same fields of `record` as it is stored now (read before the form changes it)."""
    values = {}
    for name in names:
        field = record._meta.get_field(name)
        if field.many_to_many:
            values[name] = sorted(getattr(record, name).values_list("pk", flat=True))
        else:
            values[name] = getattr(record, field.attname)
    return values


def shown_value(record: models.Model, name: str) -> str:
    """`record`'s stored value of field `name` in words, as a person reads it: a choice's
    label, a related record's name, a date in the reader's format, "(empty)"."""
    field = record._meta.get_field(name)
    if field.many_to_many:
        return ", ".join(str(related) for related in getattr(record, name).all()) or _("(empty)")
    value = getattr(record, name)
    if value is None or value == "":
        return _("(empty)")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(field, models.DateTimeField):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(field, models.DateField):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def _cleaned_value(record: models.Model, name: str, stored):
    """A stored value as the form's cleaned data holds it."""
    field = record._meta.get_field(name)
    if field.many_to_many:
        return field.related_model._default_manager.filter(pk__in=stored)
    if field.is_relation:
        return getattr(record, name)  # the related record, as a model choice field gives
    return stored


class MergingBoundField(forms.BoundField):
    """A field of a MergingForm: `their_value` (what someone else saved in it since the
    form was opened, in words) for the field's template to draw beside it, as
    `<id>_theirs`, which the input names first in `aria-describedby`."""

    @property
    def their_value(self) -> str | None:
        return getattr(self.form, "their_values", {}).get(self.name)

    @property
    def aria_describedby(self):
        described = super().aria_describedby
        if self.their_value is None or described is None or not self.auto_id:
            return described
        return " ".join(filter(None, [f"{self.auto_id}_theirs", described]))


class MergingForm(forms.ModelForm):
    """Mixed into a model form of a versioned record whose hidden `opened_field` holds
    the version it was opened at (see the module's docstring)."""

    opened_field = "version"
    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    bound_field_class = MergingBoundField

    # False for a form with parts the history does not keep (a plan's advantages): saving
    # again after a conflict then writes the form as it is shown, and says so.
    merge_on_conflict = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._opened_values = None  # the fields as opened, when someone saved since
        self.their_fields: set[str] = set()  # changed by someone else since it was opened
        self.their_values: dict[str, str] = {}  # what they saved there, in words
        opened = self._posted_version(self.opened_field)
        if (
            not self.merge_on_conflict
            or opened is None
            or self.instance.pk is None
            or opened == self.instance.version
        ):
            return
        names = [
            name
            for name in self.fields
            if name not in self._version_fields and _model_field(type(self.instance), name)
        ]
        entry = history_entry(self.instance, opened)
        if entry is None:
            return
        opened_values = self.as_shown(entry_values(type(self.instance), entry, names), entry)
        now = self.as_shown(values_now(self.instance, opened_values), self.instance)
        self._opened_values = opened_values
        self._stored = now
        self.their_fields = {name for name in opened_values if opened_values[name] != now[name]}
        # changed_data: what this person changed, at the precision the inputs send.
        self.initial.update(
            {name: self._as_input(name, value) for name, value in opened_values.items()}
        )
        for name in self.their_fields:
            self.their_values[name] = shown_value(self.instance, name)
            self._say_theirs(name)

    def as_shown(self, values: dict, record) -> dict:
        """`values` (of `record`: the opened version's history entry, or the record now)
        as the form shows them; a form that shows a field otherwise than stored (a deal's
        probability that follows its stage: blank) says so here."""
        return values

    def _as_input(self, name: str, value):
        """A stored time as its input sends it: to the minute where the input has no
        seconds (a visit's time), so a time left alone does not read as changed."""
        format = getattr(self.fields[name].widget, "format", None)
        if isinstance(value, datetime.datetime | datetime.time) and format and "%S" not in format:
            return value.replace(second=0, microsecond=0)
        return value

    def _say_theirs(self, name: str) -> None:
        """Where a form draws what someone else saved in field `name` otherwise than
        beside it (`MergingBoundField`): the admin, in the field's help."""

    def _posted_version(self, name: str) -> int | None:
        if not self.is_bound:
            return None
        try:
            return int(self.data.get(self.add_prefix(name)))
        except (TypeError, ValueError):
            return None

    @property
    def expected_version(self) -> int | None:
        """The version the save may write over: the one the person was last shown a
        conflict against, else the one they opened."""
        seen = self._posted_version(SEEN_VERSION)
        return seen if seen is not None else self._posted_version(self.opened_field)

    @property
    def _version_fields(self) -> set[str]:
        return {self.opened_field, SEEN_VERSION}

    def own_changes(self) -> set[str]:
        return {name for name in self.changed_data if name not in self._version_fields}

    def both_changed(self) -> list[str]:
        """The labels of the fields both this person and someone else changed."""
        return [
            str(self.fields[name].label or name)
            for name in self.fields
            if name in self.their_fields and name in self.own_changes()
        ]

    def show_conflict(self, current_version: int) -> None:
        """Shown again after a refused save: saving once more writes over `current_version`."""
        self.data = self.data.copy()
        self.data[self.add_prefix(SEEN_VERSION)] = str(current_version)

    def clean(self):
        cleaned = super().clean()
        if self._opened_values is not None:
            # A field someone else changed and this person left alone is written as it
            # is stored now: their change stays. (Any other field is written as the form
            # has it, as a save without a conflict would: what the person saw, a
            # prefilled value included.)
            for name in self.their_fields - self.own_changes():
                if name in cleaned:
                    cleaned[name] = _cleaned_value(self.instance, name, self._stored[name])
        return cleaned
