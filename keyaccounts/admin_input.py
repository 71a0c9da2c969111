"""Odd input in the admin answers the admin's own messages, never a 500.

- An autocomplete field drawn again with a refused value. When a change form comes back
  with its errors, Django's autocomplete widget (`AutocompleteMixin.optgroups`) looks up
  the records the posted values name to draw them as chosen — with the values as posted:
  text where an id goes ("not-an-option", NUL) raises ValueError, and a number past 64
  bits OverflowError on SQLite, so a form that should have said "Select a valid choice"
  answered 500. The wrap looks up only the values the related key could hold; the others
  are left undrawn, as Django leaves an id nobody has, and the field's error says why.
- A search longer than `SEARCH_MAX_LENGTH` (a list's, an autocomplete's) finds nothing
  and is not run: longer than anything it could find, and SQLite refuses the LIKE
  pattern (a change list searched for 60,000 characters answered 500).

`install()`, from `KeyaccountsConfig.ready`, wraps the two Django methods once, rather
than a widget or admin class in each of the admin's models, which a new one could miss.
"""

from functools import wraps

from django.core.exceptions import ValidationError

from keyaccounts.formfields import key_range


def _holdable(widget, values) -> list:
    """The `values` the key the widget's field points to could hold."""
    remote = widget.field.remote_field
    opts = remote.model._meta
    target = opts.get_field(getattr(remote, "field_name", None) or opts.pk.attname)
    low, high = key_range(target, widget.db)
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
    _install_autocomplete()
    _install_search()


def _install_search() -> None:
    from django.contrib.admin import ModelAdmin

    from keyaccounts.listfilters import SEARCH_MAX_LENGTH

    original = ModelAdmin.get_search_results
    if getattr(original, "bounded", False):
        return

    @wraps(original)
    def get_search_results(self, request, queryset, search_term):
        if len(search_term) > SEARCH_MAX_LENGTH:
            return queryset.none(), False
        return original(self, request, queryset, search_term)

    get_search_results.bounded = True
    ModelAdmin.get_search_results = get_search_results


def _install_autocomplete() -> None:
    from django.contrib.admin.widgets import AutocompleteMixin

    original = AutocompleteMixin.optgroups
    if getattr(original, "holdable_only", False):
        return

    @wraps(original)
    def optgroups(self, name, value, attr=None):
        return original(self, name, _holdable(self, value or []), attr)

    optgroups.holdable_only = True
    AutocompleteMixin.optgroups = optgroups
