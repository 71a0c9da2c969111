"""Pick one account out of thousands: a text box that suggests names, never a list of all.

A form or filter field that chooses an account (the pipeline board's filter, "log a
visit at", the development records' filter) uses `AccountPickerField` (or, in a
FilterSet, `AccountPickerFilter`) with the user's visible accounts as its queryset. It
renders a text box with a `<datalist>` and a hidden input with the account's id.

- With JavaScript, `static/js/account_picker.js` fills the list from
  `/accounts/search/?q=` (`accounts.views.account_search_view`: the visible accounts
  whose name holds what was typed, at most `SUGGESTIONS`) and sets the hidden id when a
  suggestion is picked.
- Without it, the server resolves the name typed: one visible account by that name (or
  the only one whose name holds the text) is chosen; otherwise the field says what is
  wrong and the page comes back with the matching names as suggestions to pick from.
- A link may carry only the id (`?account=12`, e.g. "On the board" on an account page).

Either way the form receives an account of the queryset or a field error: an id that is
unknown or outside the user's accounts answers the same error, so it never confirms that
a record exists.
"""

import re
from dataclasses import dataclass

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.forms import Script
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from .selectors import account_suggestions

# How many names a picker suggests at once; typing more narrows them.
SUGGESTIONS = 20
# A suggestion whose name another suggestion shares carries the id: "Name (#12)".
_WITH_ID = re.compile(r"^(?P<name>.*) \(#(?P<pk>\d+)\)$")


@dataclass(frozen=True)
class Typed:
    """What the browser sent: the hidden id and the text box (None: no text box sent)."""

    pk: str
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


class AccountPicker(forms.Widget):
    template_name = "includes/account_picker.html"

    class Media:
        js = [Script("js/account_picker.js", defer=True)]

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
        queryset = getattr(self.choices, "queryset", None)
        pk, text, suggestions = "", "", []
        if isinstance(value, Typed) and value.text is not None:
            pk, text = value.pk, value.text.strip()
            if text and queryset is not None:
                # Sent back with an error or a choice: offer what matches, to pick from.
                suggestions = suggestion_labels(account_suggestions(queryset, text)[:SUGGESTIONS])
        else:
            pk = str(value.pk if isinstance(value, Typed) else getattr(value, "pk", value) or "")
            if pk.isdigit() and queryset is not None:
                text = queryset.filter(pk=pk).values_list("name", flat=True).first() or ""
        widget = context["widget"]
        widget.update(
            pk=pk,
            text=text,
            suggestions=suggestions,
            pk_id=f"{widget['attrs'].get('id') or name}_pk",
            list_id=f"{widget['attrs'].get('id') or name}_list",
            search_url=reverse("accounts:search"),
        )
        return context

    def _render(self, template_name, context, renderer=None):
        # The project's template engine: the widget's template lives in templates/.
        return mark_safe(render_to_string(template_name, context))


class AccountPickerField(forms.ModelChoiceField):
    """An account of `queryset`, chosen by name or id (see the module docstring)."""

    widget = AccountPicker
    default_error_messages = {
        "invalid_choice": _(
            "Choose one of your accounts: type two letters of its name and pick it from the list."
        ),
        "no_match": _("None of your accounts is called “%(text)s”: pick one from the list."),
        "ambiguous": _(
            "Several of your accounts match “%(text)s”: pick the one you mean from the list."
        ),
    }

    def __init__(self, *args, **kwargs):
        # What django-filter passes a choice field; a picker has no list to put them in.
        for option in ("null_label", "null_value", "empty_label"):
            kwargs.pop(option, None)
        kwargs.setdefault("label", _("Account"))
        super().__init__(*args, empty_label=None, **kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update(autocomplete="off", placeholder=_("Type two letters of the name"))
        return attrs

    def to_python(self, value):
        if not isinstance(value, Typed):
            return super().to_python(value)
        if value.text is None:
            return super().to_python(value.pk)
        text = value.text.strip()
        if not text:
            return None
        if (with_id := _WITH_ID.match(text)) is not None:
            return super().to_python(with_id["pk"])
        if value.pk.isdigit():
            # The suggestion picked with JavaScript, if the text still shows its name.
            picked = self.queryset.filter(pk=value.pk).first()
            if picked is not None and picked.name.casefold() == text.casefold():
                return picked
        named = list(self.queryset.filter(name__iexact=text)[:2])
        if not named:
            named = list(self.queryset.filter(name__icontains=text)[:2])
        if len(named) == 1:
            return named[0]
        code = "ambiguous" if named else "no_match"
        raise ValidationError(self.error_messages[code], code=code, params={"text": text})

    def has_changed(self, initial, data):
        if isinstance(data, Typed):
            data = data.pk if data.text is None else data.text
        return super().has_changed(initial, data)


class AccountPickerFilter(django_filters.ModelChoiceFilter):
    """`AccountPickerField` in a FilterSet; give it the visible accounts as `queryset`
    (a callable taking the request works too)."""

    field_class = AccountPickerField
