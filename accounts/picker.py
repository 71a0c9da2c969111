"""Pick one account or person out of thousands: a text box that suggests names, never a
list of all.

A form or filter field that chooses an account (the pipeline board's filter, "log a
visit at", the development records' filter) is an `AccountPickerField` (in a FilterSet,
`AccountPickerFilter`) over the user's visible accounts. One that chooses one of our
people (an owner, a relationship owner, a colleague for a team, an owner or "deleted
by" filter) is a `UserPickerField` (`UserPickerFilter`) over
`accounts.selectors.users_pickable_by(user)` — the people of the user's own teams — and
several people (a visit's colleagues) a `UsersPickerField`. Each renders a text box with
a `<datalist>` (a native combobox) and a hidden input with the id; several people get a
ticked checkbox each instead of the hidden input.

- With JavaScript, `static/js/picker.js` fills the list from the field's search URL
  (`/accounts/search/?q=`, `/people/search/?q=`: at most `SUGGESTIONS` of what the user
  may pick that match what was typed) and sets the hidden id when a suggestion is picked
  (for several people: adds a ticked box and empties the text box).
- Without it, the server resolves the text typed: the record of that name (an
  account's name; a person's username, email or full name), else the only one whose
  name holds the text; otherwise the field says what is wrong and the page comes back
  with the matches as suggestions to pick from. Several people are typed as names
  separated by ";" or ",".
- A link may carry only the id (`?account=12`, `?owner=7`).

Either way the form receives records of the queryset or a field error: an id that is
unknown or outside what the user may pick answers the same error, so it never confirms
that a record exists.
"""

import re
from dataclasses import dataclass

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.forms import Script
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from .selectors import account_suggestions, user_suggestions, users_named

# How many names a picker suggests at once; typing more narrows them.
SUGGESTIONS = 20
# A suggestion whose name another suggestion shares carries the id: "Name (#12)".
_WITH_ID = re.compile(r"^(?P<name>.*) \(#(?P<pk>\d+)\)$")
# A person's suggestion carries their username: "Carol Chen (carol)".
_WITH_USERNAME = re.compile(r"^(?P<name>.*) \((?P<username>[^()\s]+)\)$")
# Between the names of several people typed without JavaScript.
_SEPARATORS = re.compile(r"[;,；，、\n]")
# The largest id a database column holds (64 bits): a longer number is no record's.
_MAX_ID = 2**63 - 1
# The longest text a picker looks up: a name with its "(username)" or "(#id)" fits.
LONGEST_TYPED = 300


def _is_id(value) -> bool:
    value = str(value)
    return value.isascii() and value.isdigit() and 0 < int(value) <= _MAX_ID


@dataclass(frozen=True)
class Typed:
    """What the browser sent: the hidden id and the text box (None: no text box sent)."""

    pk: str
    text: str | None


@dataclass(frozen=True)
class TypedMany:
    """What the browser sent for several: the ids ticked and the text box."""

    pks: tuple[str, ...]
    text: str | None


def suggestion_labels(accounts) -> list[dict]:
    """`{"id", "name", "label"}` per account, the label being what the text box shows:
    the name, or "name (#id)" when two of the accounts share a name."""
    accounts = list(accounts)
    seen: dict[str, int] = {}
    for account in accounts:
        seen[account.name] = seen.get(account.name, 0) + 1
    return [
        {
            "id": account.pk,
            "name": account.name,
            "label": account.name if seen[account.name] == 1 else f"{account.name} (#{account.pk})",
        }
        for account in accounts
    ]


def person_label(user) -> str:
    """What a people picker shows for `user`: "Carol Chen (carol)", or the username alone
    when they have no name. Usernames are unique, so labels are too."""
    name = str(user)
    return user.username if name == user.username else f"{name} ({user.username})"


def person_labels(people) -> list[dict]:
    """`{"id", "name", "label"}` per person (`person_label`)."""
    return [{"id": user.pk, "name": str(user), "label": person_label(user)} for user in people]


def keeping(queryset, kept):
    """`queryset` and the records in `kept` (records or ids) that a record already has:
    a form sent back with its own value untouched stays valid (a relationship owner who
    since moved to another team), while anything newly picked must be in `queryset`."""
    if isinstance(kept, QuerySet):
        kept = kept.values("pk")  # a subquery, not a query of its own
    else:
        kept = [getattr(record, "pk", record) for record in kept if record is not None]
        if not kept:
            return queryset
    model = queryset.model
    return model._default_manager.filter(Q(pk__in=queryset.values("pk")) | Q(pk__in=kept))


# --- the widgets ------------------------------------------------------------------------


class Picker(forms.Widget):
    """The text box, its suggestions and the hidden id. What it picks (the search URL,
    labels, matches) is its field's: `self.choices.field`, which a model choice field
    sets whenever its queryset is set."""

    template_name = "includes/picker.html"
    # Suggestions offered while the box is empty (say, the user's recent accounts).
    offered: list[dict] = []

    class Media:
        js = [Script("js/picker.js", defer=True)]

    def value_from_datadict(self, data, files, name):
        pk = data.get(name) or ""
        text = data.get(f"{name}_name")
        if not pk and text is None:
            return None
        return Typed(pk=pk, text=text)

    def value_omitted_from_data(self, data, files, name):
        return name not in data and f"{name}_name" not in data

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        field = getattr(self.choices, "field", None)
        widget = context["widget"]
        base = widget["attrs"].get("id") or name
        widget.update(
            pk_id=f"{base}_pk",
            list_id=f"{base}_list",
            search_url=field.search_url() if field is not None else "",
            **self.shown(field, value),
        )
        return context

    def shown(self, field, value) -> dict:
        """The text box's `text`, the hidden `pk` and the `suggestions` to offer."""
        pk, text, suggestions = "", "", []
        if isinstance(value, Typed) and value.text is not None:
            pk, text = value.pk, value.text.strip()
            if text and field is not None:
                # Sent back with an error or a choice: offer what matches, to pick from.
                suggestions = field.suggestions(text)
        else:
            pk = str(value.pk if isinstance(value, Typed) else getattr(value, "pk", value) or "")
            if _is_id(pk) and field is not None:
                text = field.text_for(pk)
        if not text and not pk:
            suggestions = self.offered
        return {"pk": pk, "text": text, "suggestions": suggestions}

    def _render(self, template_name, context, renderer=None):
        # The project's template engine: the widget's template lives in templates/.
        return mark_safe(render_to_string(template_name, context))


class MultiPicker(Picker):
    """Several: a ticked checkbox per record chosen (untick to remove) and the text box
    to add one."""

    template_name = "includes/multi_picker.html"

    def format_value(self, value):
        # The ids ticked, as a browser sends them back (one value per checkbox).
        if isinstance(value, TypedMany):
            return list(value.pks)
        return [str(getattr(item, "pk", item)) for item in value or []]

    def value_from_datadict(self, data, files, name):
        pks = data.getlist(name) if hasattr(data, "getlist") else data.get(name) or []
        if isinstance(pks, str | int):
            pks = [pks]
        text = data.get(f"{name}_name")
        if not pks and text is None:
            return None
        return TypedMany(pks=tuple(str(pk) for pk in pks if pk), text=text)

    def shown(self, field, value) -> dict:
        text, suggestions = "", []
        if isinstance(value, TypedMany):
            pks, text = value.pks, (value.text or "").strip()
            if text and field is not None:
                suggestions = [row for part in _parts(text) for row in field.suggestions(part)]
        else:
            pks = [str(getattr(item, "pk", item)) for item in value or []]
        picked = field.labels_for(pks) if field is not None else []
        return {"picked": picked, "text": text, "suggestions": suggestions[:SUGGESTIONS]}


def _parts(text: str) -> list[str]:
    return [part.strip() for part in _SEPARATORS.split(text) if part.strip()]


# --- the fields -------------------------------------------------------------------------


class Picking:
    """What a picker field does with what was typed, mixed into a model choice field.
    A kind of record (`AccountChoice`, `PersonChoice`) says how its records are named,
    matched and labelled."""

    search_url_name = ""
    placeholder = ""

    # The kind's part.
    def matching(self, text: str):
        """The records of the queryset whose name holds `text`, best first."""
        raise NotImplementedError

    def named(self, text: str):
        """The records of the queryset called exactly `text`."""
        raise NotImplementedError

    def by_label(self, text: str) -> dict | None:
        """The lookup of the one record a suggestion's label names ("Name (#12)"), if
        `text` is such a label."""
        raise NotImplementedError

    def labels(self, records) -> list[dict]:
        raise NotImplementedError

    # The picker's part.
    def search_url(self) -> str:
        return reverse(self.search_url_name)

    def suggestions(self, text: str) -> list[dict]:
        if len(text.strip()) > LONGEST_TYPED:
            return []  # names nothing (`resolve`)
        return self.labels(self.matching(text)[:SUGGESTIONS])

    def labels_for(self, pks) -> list[dict]:
        """The labels of the records of the queryset with these ids, in their order."""
        pks = [str(pk) for pk in pks if _is_id(pk)]
        if not pks:
            return []
        resolved = getattr(self, "_resolved", {})
        if all(pk in resolved for pk in pks):
            # Just cleaned: the page shows what the form chose, without reading it again.
            return self.labels(resolved[pk] for pk in dict.fromkeys(pks))
        return self.labels(self.queryset.filter(pk__in=pks).order_by(*self.label_order))

    def remember(self, records):
        """Keep the records just cleaned for `labels_for` (a field is the form's own)."""
        self._resolved = {str(record.pk): record for record in records if record is not None}
        return records

    def text_for(self, pk) -> str:
        """What the text box shows for the record `pk`, or "" outside the queryset."""
        labels = self.labels_for([pk])
        return labels[0]["label"] if labels else ""

    def resolve(self, text: str, pk: str = ""):
        """The record of the queryset that `text` names (or `pk`, the suggestion picked
        with JavaScript, while the text still shows it); ValidationError otherwise."""
        text = text.strip()
        if len(text) > LONGEST_TYPED:
            # Names nothing, and is not looked up: SQLite refuses a LIKE pattern that long.
            raise ValidationError(
                self.error_messages["no_match"],
                code="no_match",
                params={"text": Truncator(text).chars(40)},
            )
        if (lookup := self.by_label(text)) is not None:
            found = self.queryset.filter(**lookup).first()
            if found is None:
                raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
            return found
        if _is_id(pk):
            picked = self.queryset.filter(pk=pk).first()
            if picked is not None and text.casefold() in {
                row[key].casefold() for row in self.labels([picked]) for key in ("name", "label")
            }:
                return picked
        found = list(self.named(text)[:2]) or list(self.matching(text)[:2])
        if len(found) == 1:
            return found[0]
        code = "ambiguous" if found else "no_match"
        raise ValidationError(self.error_messages[code], code=code, params={"text": text})

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update(autocomplete="off", placeholder=self.placeholder)
        return attrs


class PickerField(Picking, forms.ModelChoiceField):
    """One record of `queryset`, chosen by name or id (see the module docstring)."""

    widget = Picker

    def __init__(self, *args, **kwargs):
        # What django-filter passes a choice field; a picker has no list to put them in.
        for option in ("null_label", "null_value", "empty_label"):
            kwargs.pop(option, None)
        super().__init__(*args, empty_label=None, **kwargs)

    def to_python(self, value):
        if not isinstance(value, Typed):
            return super().to_python(value)
        if value.text is None:
            found = super().to_python(value.pk)
        elif not value.text.strip():
            return None
        else:
            found = self.resolve(value.text, value.pk)
        self.remember([found])
        return found

    def has_changed(self, initial, data):
        if isinstance(data, Typed):
            if data.text is None:
                data = data.pk
            else:
                # A name typed or shown: changed if it stands for another record.
                try:
                    found = self.to_python(data)
                except ValidationError:
                    return True
                data = "" if found is None else found.pk
        return super().has_changed(initial, data)


class PickerMultipleField(Picking, forms.ModelMultipleChoiceField):
    """Records of `queryset`: those ticked, and those named in the text box."""

    widget = MultiPicker

    def __init__(self, *args, **kwargs):
        kwargs.pop("empty_label", None)
        super().__init__(*args, **kwargs)

    def clean(self, value):
        if not isinstance(value, TypedMany):
            return super().clean(value)
        errors, chosen = [], []
        if value.pks:
            try:
                # An id outside the queryset is refused whether it exists or not, and one
                # that is no id at all the same way.
                if not all(_is_id(pk) for pk in value.pks):
                    raise ValidationError(
                        self.error_messages["invalid_choice"], code="invalid_choice"
                    )
                chosen += list(self._check_values(value.pks))
            except ValidationError as error:
                errors.append(error)
        for part in _parts(value.text or ""):
            try:
                chosen.append(self.resolve(part))
            except ValidationError as error:
                errors.append(error)
        if errors:
            raise ValidationError(errors)
        if self.required and not chosen:
            raise ValidationError(self.error_messages["required"], code="required")
        unique = list({record.pk: record for record in chosen}.values())
        self.run_validators(unique)
        return self.remember(unique)

    def has_changed(self, initial, data):
        if isinstance(data, TypedMany):
            if _parts(data.text or ""):
                return True
            data = list(data.pks)
        return super().has_changed(initial, data)


# --- the kinds of record ----------------------------------------------------------------


class AccountChoice:
    search_url_name = "accounts:search"
    placeholder = _("Type two letters of the name")
    label_order = ("name", "pk")
    default_error_messages = {
        "invalid_choice": _(
            "Choose one of your accounts: type two letters of its name and pick it from the list."
        ),
        "no_match": _("None of your accounts is called “%(text)s”: pick one from the list."),
        "ambiguous": _(
            "Several of your accounts match “%(text)s”: pick the one you mean from the list."
        ),
    }

    def matching(self, text):
        return account_suggestions(self.queryset, text)

    def named(self, text):
        return self.queryset.filter(name__iexact=text)

    def by_label(self, text):
        with_id = _WITH_ID.match(text)
        return {"pk": with_id["pk"]} if with_id else None

    def labels(self, records):
        return suggestion_labels(records)

    def text_for(self, pk) -> str:
        # The name alone, as the text box showed it before anyone picked a namesake.
        if (resolved := getattr(self, "_resolved", {}).get(str(pk))) is not None:
            return resolved.name
        return self.queryset.filter(pk=pk).values_list("name", flat=True).first() or ""


class PersonChoice:
    """One of our people. `scope="owners"` asks the search for those the user may give
    accounts and deals to (`assignable_owners`) rather than everyone they may pick."""

    search_url_name = "people_search"
    placeholder = _("Type two letters of a name or username")
    label_order = ("first_name", "last_name", "username")
    default_error_messages = {
        "invalid_choice": _(
            "Choose one of the people of your teams: type two letters of their name and "
            "pick them from the list."
        ),
        "no_match": _("Nobody of your teams is called “%(text)s”: pick someone from the list."),
        "ambiguous": _(
            "Several people of your teams match “%(text)s”: pick the one you mean from the list."
        ),
    }

    def __init__(self, *args, scope: str = "", **kwargs):
        self.scope = scope
        kwargs.setdefault("label", _("Person"))
        super().__init__(*args, **kwargs)

    def search_url(self) -> str:
        url = reverse(self.search_url_name)
        return f"{url}?scope={self.scope}" if self.scope else url

    def matching(self, text):
        return user_suggestions(self.queryset, text)

    def named(self, text):
        return users_named(self.queryset, text)

    def by_label(self, text):
        with_username = _WITH_USERNAME.match(text)
        return {"username": with_username["username"]} if with_username else None

    def labels(self, records):
        return person_labels(records)


class AccountPickerField(AccountChoice, PickerField):
    """An account of `queryset` (the user's visible accounts), chosen by name or id."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", _("Account"))
        super().__init__(*args, **kwargs)


class UserPickerField(PersonChoice, PickerField):
    """One of our people from `queryset` (`users_pickable_by(user)`, or narrower), chosen
    by name, username, email or id."""


class UsersPickerField(PersonChoice, PickerMultipleField):
    """Several of our people from `queryset`: those ticked and those typed."""

    placeholder = _("Add someone: type two letters of a name (several: separate with ;)")


class AccountPickerFilter(django_filters.ModelChoiceFilter):
    """`AccountPickerField` in a FilterSet; give it the visible accounts as `queryset`
    (a callable taking the request works too)."""

    field_class = AccountPickerField


class UserPickerFilter(django_filters.ModelChoiceFilter):
    """`UserPickerField` in a FilterSet; give it `users_pickable_by` as `queryset`: a
    callable taking the request, `lambda request: users_pickable_by(request.user)`."""

    field_class = UserPickerField
