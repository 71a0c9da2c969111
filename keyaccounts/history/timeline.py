"""A record's change history as a person reads it: newest first, who, when, from where,
what happened, and each field's old → new value in the page's language.

django-simple-history keeps one row per save. An entry here is one action on one object:
the record itself or one of its parts (a team member, a competitor, a ticked exit
criterion — `PARTS`). Rows of one write read as one entry: a visit's save and the
`set()` of its contacts and attendees that follows carry the same version. Every other
write is an entry of its own, so an edit and its undo are two entries. An entry's
changes compare its last row with the row before it; an entry in which nothing a person
sees changed (a new version for a part of a deal, say) is left out.

Cost: one query per historical table, one per many-to-many history table and one per
model the rows point to (names of users, stages, contacts…), however many entries.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.db import models
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext, pgettext_lazy

from keyaccounts.choices import choice_label
from keyaccounts.links import record_url
from keyaccounts.recyclebin.services import DELETED, MERGED, RESTORED

from .context import Origin

# Bookkeeping, not a change a person made. `deleted_at` shows as the entry's action.
HIDDEN_FIELDS = frozenset(
    {"id", "version", "change_seq", "created_at", "updated_at", "deleted_at", "deletion"}
    | {"name_key"}
)

EMPTY = "—"


class Action(models.TextChoices):
    CREATED = "created", pgettext_lazy("history action", "created")
    CHANGED = "changed", pgettext_lazy("history action", "changed")
    DELETED = "deleted", pgettext_lazy("history action", "moved to the recycle bin")
    RESTORED = "restored", pgettext_lazy("history action", "restored from the recycle bin")
    MERGED = "merged", pgettext_lazy("history action", "merged into another record")
    # The survivor of a merge, and what moved to it.
    MERGE_KEPT = "merge_kept", pgettext_lazy("history action", "changed by a merge")
    REMOVED = "removed", pgettext_lazy("history action", "removed")


# The change reasons the recycle bin writes on its bulk updates.
ACTION_OF_REASON = {DELETED: Action.DELETED, RESTORED: Action.RESTORED, MERGED: Action.MERGED}


@dataclass(frozen=True)
class Part:
    """A tracked model whose rows belong to a record: an account's team members."""

    model: str  # "accounts.AccountTeamMember"
    parent: str  # its foreign key to the record: "account"
    name_field: str  # the field that names one row: "user"
    added: Any = pgettext_lazy("history action", "added")
    removed: Any = pgettext_lazy("history action", "removed")


PARTS: dict[str, tuple[Part, ...]] = {
    "accounts.account": (
        Part("accounts.AccountTeamMember", "account", "user"),
        Part("accounts.AccountCompetitor", "account", "name"),
    ),
    "opportunities.opportunity": (
        Part("opportunities.OpportunityContact", "opportunity", "contact"),
        Part("opportunities.OpportunityTeamMember", "opportunity", "user"),
        Part("opportunities.OpportunityCompetitor", "opportunity", "name"),
        Part(
            "opportunities.CriterionCheck",
            "opportunity",
            "criterion",
            added=pgettext_lazy("history action", "ticked"),
            removed=pgettext_lazy("history action", "unticked"),
        ),
        # The approval gate (opportunities/approvals.py): asked, then approved or rejected.
        Part(
            "opportunities.StageApproval",
            "opportunity",
            "to_stage",
            added=pgettext_lazy("history action", "approval asked"),
        ),
    ),
}


def parts_of(record) -> tuple[Part, ...]:
    """The parts whose history shows on `record`'s timeline."""
    return PARTS.get(record._meta.label_lower, ())


@dataclass
class Change:
    field: str
    label: str  # the field's verbose name, in the active language
    old: Any  # JSON: ids for foreign keys, sorted ids for many-to-many, ISO dates
    new: Any
    old_display: str
    new_display: str


@dataclass
class Merged:
    """A record merged into the one whose history this is."""

    id: int | None  # None: a record the reader may not see (not numbered either)
    label: str  # its name, or "an account you cannot see"
    url: str | None  # its history page (None: not visible to the reader)


@dataclass
class Entry:
    when: datetime.datetime
    user: Any  # None: a system task
    origin: str  # an Origin value
    action: str  # an Action value
    verb: str  # what happened, for a person: "changed", "added", "ticked"…
    object_type: str  # "accounts.accountteammember"
    object_id: int
    object_label: str
    is_part: bool
    changes: list[Change] = field(default_factory=list)
    # Of a merge's survivor ("changed by a merge"): the records merged into it then.
    merged: list["Merged"] = field(default_factory=list)
    # Where the entry sorts, unique in its timeline: (when, source, last history id).
    # A page's cursor (keyaccounts.paging.list_page).
    sort_key: tuple = field(default=(), repr=False, compare=False)

    @property
    def user_id(self) -> int | None:
        return self.user.pk if self.user is not None else None

    @property
    def user_name(self) -> str:
        return str(self.user) if self.user is not None else gettext("system")

    @property
    def origin_label(self) -> str:
        return str(Origin(self.origin).label) if self.origin in Origin.values else self.origin


@dataclass
class _Source:
    model: type[models.Model]
    filters: dict
    part: Part | None
    fields: list = field(default_factory=list)  # the fields a person reads
    m2m_fields: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    values: dict = field(default_factory=dict)  # history_id → {field name: value}


def record_timeline(record, *, user=None, parts: tuple[Part, ...] | None = None) -> list[Entry]:
    """Every change to `record` and to its `parts` (default: `parts_of(record)`),
    newest first. Rows of deleted parts and of a record in the recycle bin are read too.

    `user`: who reads it. An account the history names that they may not see (a contact
    moved from another team's account, say) is not named."""
    parts = parts_of(record) if parts is None else parts
    sources = [_Source(type(record), {"id": record.pk}, None)]
    for part in parts:
        sources.append(_Source(apps.get_model(part.model), {f"{part.parent}_id": record.pk}, part))
    for source in sources:
        _load(source)
    names = _names(sources, user)
    entries = []
    for index, source in enumerate(sources):
        for group in _groups(source):
            entry = _entry(record, source, group, names)
            if entry is not None:
                entry.sort_key = (entry.when, index, group.rows[-1].history_id)
                entries.append(entry)
    _name_merged(record, [e for e in entries if e.action == Action.MERGE_KEPT], user)
    entries.sort(key=lambda entry: entry.sort_key, reverse=True)
    return entries


# A merged record's history page, by type (the history knows no app's URLs by itself),
# from its live row: a contact's account is where it is now (an account merge moves it).
_HISTORY_PAGES = {
    "accounts.account": lambda live: ("accounts:history", live["pk"]),
    "accounts.contact": lambda live: ("accounts:contact_history", live["account_id"], live["pk"]),
}


def _name_merged(record, entries: list[Entry], user) -> None:
    """Each merge entry of a survivor names the records merged into it by that merge:
    their own history's last row ("merged", pointing at `record` as it was then — a later
    merge of the survivor repoints them without a history row), matched to the latest
    merge entry by the same person at or before it (a merge locks its survivor: merges
    into one record follow each other). A record the reader may not see is neither named
    nor numbered. Two queries, only for a history that has a merge entry."""
    entries = [e for e in entries if not e.is_part]
    model = type(record)
    if not entries or not hasattr(model.history.model, "merged_into_id"):
        return
    label = model._meta.label_lower
    rows = list(
        model.history.filter(
            merged_into_id=record.pk, history_change_reason=MERGED, deleted_at__isnull=False
        ).order_by("history_date", "history_id")
    )
    if not rows:
        return
    ids = {row.id for row in rows}
    fields = ["pk", *(["account_id"] if hasattr(model, "account_id") else [])]
    scoped = _SCOPED.get(label)
    hidden = ""
    if user is not None and scoped is not None:
        visible, hidden = scoped()
        live_rows = visible(user, deleted=True).filter(pk__in=ids)
    else:
        live_rows = model._base_manager.filter(pk__in=ids)
    live = {row["pk"]: row for row in live_rows.values(*fields)}
    page = _HISTORY_PAGES.get(label)
    for row in rows:
        entry = max(
            (e for e in entries if e.when <= row.history_date and e.user_id == row.history_user_id),
            key=lambda e: e.when,
            default=None,
        )
        if entry is None or any(m.id == row.id for m in entry.merged if m.id is not None):
            continue
        shown = live.get(row.id)
        entry.merged.append(
            Merged(
                id=row.id if shown else None,
                label=str(row.instance) if shown else hidden,
                url=record_url(*page(shown)) if shown and page else None,
            )
        )


# --- loading -------------------------------------------------------------------------


def _load(source: _Source) -> None:
    history = source.model.history.model
    hidden = HIDDEN_FIELDS | ({source.part.parent} if source.part else set())
    source.fields = [
        f
        for f in history.tracked_fields
        if f.name not in hidden
        and not getattr(f, "auto_now", False)
        and not getattr(f, "auto_now_add", False)
    ]
    source.m2m_fields = m2m_fields_of(history)
    source.rows = list(
        history.objects.filter(**source.filters)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    sets = {f.name: _m2m_sets(history, f, source.filters) for f in source.m2m_fields}
    carried: dict[int, dict] = {}
    for row in source.rows:
        values = {f.name: getattr(row, f.attname) for f in source.fields}
        previous = carried.get(row.id, {})
        for f in source.m2m_fields:
            # Bulk writes (the recycle bin's) record no many-to-many rows: nothing changed.
            bulk = row.history_change_reason in ACTION_OF_REASON or row.history_type == "-"
            values[f.name] = (
                previous.get(f.name, frozenset())
                if bulk
                else frozenset(sets[f.name].get(row.history_id, ()))
            )
        carried[row.id] = values
        source.values[row.history_id] = values


def m2m_fields_of(history) -> list:
    """The many-to-many fields a historical model records, in the order the model names
    them (`_history_m2m_fields`). django-simple-history keeps them as a set of names,
    whose order changes from one process to the next: read through here, a changes feed
    lists a record's `changed_fields` in the same order from every server."""
    declared = list(getattr(history.instance_type, "_history_m2m_fields", ()))
    return sorted(
        getattr(history, "_history_m2m_fields", ()),
        key=lambda f: (declared.index(f.name) if f.name in declared else len(declared), f.name),
    )


def _m2m_sets(history, m2m_field, filters: dict) -> dict[int, set]:
    """{history_id: {ids}} of one many-to-many field, for every row of the object."""
    through = getattr(history, m2m_field.name).model
    target = m2m_field.m2m_reverse_field_name()
    rows = through.objects.filter(**{f"history__{k}": v for k, v in filters.items()})
    sets: dict[int, set] = {}
    for history_id, target_id in rows.values_list("history_id", f"{target}_id"):
        sets.setdefault(history_id, set()).add(target_id)
    return sets


def _account_scope():
    from accounts.selectors import accounts_visible_to

    return accounts_visible_to, gettext("an account you cannot see")


def _contact_scope():
    from accounts.selectors import contacts_visible_to

    return contacts_visible_to, gettext("a contact you cannot see")


# The records a history names through the visibility rule: (the rule, what an unseen
# one is called), read when needed (the history knows no app).
_SCOPED = {"accounts.account": _account_scope, "accounts.contact": _contact_scope}


def _names(sources: list[_Source], user) -> dict[type, dict[Any, str]]:
    """The str() of every row the history points to: one query per related model,
    records in the recycle bin included; accounts and contacts only if `user` may see
    them (a deal or visit moved from another account names that account's contacts in
    its earlier versions)."""
    wanted: dict[type, set] = {}
    for source in sources:
        for f in source.fields + source.m2m_fields:
            if not f.is_relation:
                continue
            ids = wanted.setdefault(f.related_model, set())
            for values in source.values.values():
                value = values[f.name]
                if isinstance(value, frozenset):
                    ids |= value
                elif value is not None:
                    ids.add(value)
    names: dict[type, dict[Any, str]] = {}
    for model, ids in wanted.items():
        names[model] = {}
        if not ids:
            continue
        rows = model._base_manager.filter(pk__in=ids)
        scoped = _SCOPED.get(model._meta.label_lower)
        if user is not None and scoped is not None:
            visible, hidden = scoped()
            rows = visible(user, deleted=True).filter(pk__in=ids)
            names[model] = dict.fromkeys(ids, hidden)
        names[model].update((obj.pk, str(obj)) for obj in rows)
    return names


# --- grouping and diffing --------------------------------------------------------------


@dataclass
class _Group:
    action: str
    rows: list
    before: Any  # the object's row before this group, or None


def _action(row) -> str:
    if row.history_type == "+":
        return Action.CREATED
    if row.history_type == "-":
        return Action.REMOVED
    action = ACTION_OF_REASON.get(row.history_change_reason, Action.CHANGED)
    if action == Action.MERGED and getattr(row, "deleted_at", None) is None:
        return Action.MERGE_KEPT
    return action


def _groups(source: _Source) -> list[_Group]:
    groups: list[_Group] = []
    last_group_of: dict[int, _Group] = {}
    for row in source.rows:
        action = _action(row)
        group = last_group_of.get(row.id)
        if (
            action == Action.CHANGED
            and group is not None
            and source.values[row.history_id] == source.values[group.rows[-1].history_id]
        ):
            # Only bookkeeping changed (a new version for a part of a deal): no change,
            # and no link between the changes before and after it.
            continue
        if group is not None and _joins(group, row, action):
            group.rows.append(row)
            continue
        group = _Group(action, [row], before=group.rows[-1] if group else None)
        groups.append(group)
        last_group_of[row.id] = group
    return groups


def _joins(group: _Group, row, action: str) -> bool:
    """Rows of one write are one entry: a versioned record's save and the many-to-many
    rows written after it carry the same version. Every other row is its own entry, so
    two quick edits — or an edit and its undo — are two entries, never one or none."""
    last = group.rows[-1]
    version = getattr(row, "version", None)
    return (
        action == Action.CHANGED
        and group.action in (Action.CREATED, Action.CHANGED)
        and version is not None
        and version == getattr(last, "version", None)
        and row.history_user_id == last.history_user_id
        and row.origin == last.origin
    )


def _entry(record, source: _Source, group: _Group, names) -> Entry | None:
    first, last = group.rows[0], group.rows[-1]
    part = source.part
    after = source.values[last.history_id]
    if group.action == Action.REMOVED:
        changes = []
    elif group.action == Action.CREATED:
        changes = [
            _change(f, None, after[f.name], names)
            for f in source.fields + source.m2m_fields
            if not _empty(after[f.name]) and not (part and f.name == part.name_field)
        ]
    elif group.before is None:
        # History that starts mid-life (rows saved before it was kept): no old values.
        changes = []
    else:
        before = source.values[group.before.history_id]
        changes = [
            _change(f, before[f.name], after[f.name], names)
            for f in source.fields + source.m2m_fields
            if before[f.name] != after[f.name]
        ]
    if group.action == Action.CHANGED and not changes:
        return None
    if part is None:
        object_type, object_label = record._meta.label_lower, str(record)
        verb = Action(group.action).label
    else:
        object_type = source.model._meta.label_lower
        name_field = source.model._meta.get_field(part.name_field)
        object_label = gettext("%(part)s: %(name)s") % {
            "part": capfirst(source.model._meta.verbose_name),
            "name": _display(name_field, after[part.name_field], names),
        }
        verb = {Action.CREATED: part.added, Action.REMOVED: part.removed}.get(
            group.action, Action(group.action).label
        )
    return Entry(
        when=first.history_date,
        user=first.history_user,
        origin=first.origin,
        action=str(group.action),
        verb=str(verb),
        object_type=object_type,
        object_id=last.id,
        object_label=object_label,
        is_part=part is not None,
        changes=changes,
    )


# --- values ----------------------------------------------------------------------------


def _empty(value) -> bool:
    return value is None or value == "" or value == frozenset()


def _change(f, old, new, names) -> Change:
    return Change(
        field=f.name,
        label=str(f.verbose_name),
        old=_raw(old),
        new=_raw(new),
        old_display=_display(f, old, names),
        new_display=_display(f, new, names),
    )


def _raw(value):
    """The value as JSON: ids stay ids, dates ISO 8601, decimals strings (as the API's
    serializers give them)."""
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _display(f, value, names) -> str:
    if _empty(value):
        return EMPTY
    if f.many_to_many:
        related = names.get(f.related_model, {})
        return ", ".join(sorted(related.get(pk, f"#{pk}") for pk in value))
    if f.is_relation:
        return names.get(f.related_model, {}).get(value, f"#{value}")
    if f.flatchoices:
        return str(choice_label(f, value))
    if shown := getattr(f.model, "history_display", {}).get(f.name):
        # A code the model names in words itself (a plan action's risk factor), each
        # value asked once per timeline.
        said = names.setdefault(("display", f.model, f.name), {})
        if value not in said:
            said[value] = str(shown(value))
        return said[value]
    if isinstance(f, models.BooleanField):
        return gettext("Yes") if value else gettext("No")
    # As the pages write dates and times: one form, whatever the language.
    if isinstance(value, datetime.datetime):
        return formats.date_format(timezone.localtime(value), "Y-m-d H:i")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "Y-m-d")
    if isinstance(value, Decimal | float):
        # 7,170,000 and 35, not 7170000.00 and 35.00: as a person reads an amount.
        if isinstance(value, Decimal) and value == value.to_integral_value():
            value = value.quantize(Decimal(1))
        elif isinstance(value, Decimal):
            value = value.normalize()
        return formats.number_format(value, force_grouping=True)
    return str(value)
