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
- An action's chosen rows (`_selected_action`) that no key could hold: text where an id
  goes raised ValueError, a number past 64 bits OverflowError on SQLite, in Django's
  `response_action` and in our actions. The wrap leaves them out before the action runs
  (none left: Django's "Items must be selected …").
- A change list's lookup that no row could match and the database cannot take: a number
  past 64 bits in `?id__in=`, `?owner=`, `?pk=` (OverflowError when counting, SQLite), a
  year outside 1–9999 in `?created_at__year=` (ValueError when compiling). The wrap
  compiles the list's query once and answers such a lookup as Django answers one it
  cannot read (`?owner=x`): the list again with `?e=1`.
- An inline row against a constraint on its parent. Django 5.2 leaves the inline key
  (an inline row's `InlineForeignKeyField`) out of the model's constraint checks, so a
  `UniqueConstraint` naming it (one advantage of each kind per plan) was checked only
  among the rows the formset shows: a stored row posted again as a new one (the hidden
  `INITIAL_FORMS` counter edited) ended in an IntegrityError, 500. The wrap checks each
  new or changed row against the parent's stored rows the formset does not show (those
  it shows, with their new values and without the ones it deletes, are Django's own
  check: deleting a row and adding it again, or two rows trading a kind, still save);
  the row shows the constraint's message and nothing is written.

`install()`, from `KeyaccountsConfig.ready`, wraps these Django methods once, rather
than a widget or admin class in each of the admin's models, which a new one could miss.
"""

from functools import wraps

from django.core.exceptions import ValidationError
from django.db import connections, router

from keyaccounts.formfields import key_range


def _holdable(widget, values) -> list:
    """The `values` the key the widget's field points to could hold."""
    remote = widget.field.remote_field
    opts = remote.model._meta
    target = opts.get_field(getattr(remote, "field_name", None) or opts.pk.attname)
    return _holdable_by(target, values, widget.db)


def _holdable_by(target, values, using) -> list:
    """The `values` the column `target` (a model field) could hold on database `using`."""
    low, high = key_range(target, using)
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
    _install_inline_constraints()
    _install_actions()
    _install_changelist_lookups()


def _install_actions() -> None:
    from django.contrib.admin import ModelAdmin, helpers

    original = ModelAdmin.response_action
    if getattr(original, "holdable_only", False):
        return

    @wraps(original)
    def response_action(self, request, queryset):
        chosen = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        kept = _holdable_by(self.model._meta.pk, chosen, queryset.db)
        if len(kept) != len(chosen):
            post = request.POST.copy()
            post.setlist(helpers.ACTION_CHECKBOX_NAME, kept)
            request.POST = post
        return original(self, request, queryset)

    response_action.holdable_only = True
    ModelAdmin.response_action = response_action


def _unreadable_lookup(queryset) -> Exception | None:
    """Why the database could not run `queryset` as its lookups stand (a year no date
    has, a whole number past 64 bits), or None."""
    from django.core.exceptions import EmptyResultSet, FullResultSet

    try:
        _sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    except (EmptyResultSet, FullResultSet):
        return None
    except (ValueError, OverflowError) as error:
        return error
    # The widest whole number the database holds (a 64-bit key).
    low, high = connections[queryset.db].ops.integer_field_ranges["BigIntegerField"]
    for value in params:
        if type(value) is int and not low <= value <= high:
            return OverflowError(f"{value} is past 64 bits")
    return None


def _install_changelist_lookups() -> None:
    from django.contrib.admin.options import IncorrectLookupParameters
    from django.contrib.admin.views.main import ChangeList

    original = ChangeList.get_queryset
    if getattr(original, "readable_only", False):
        return

    @wraps(original)
    def get_queryset(self, request, exclude_parameters=None):
        queryset = original(self, request, exclude_parameters)
        if (error := _unreadable_lookup(queryset)) is not None:
            raise IncorrectLookupParameters(error)
        return queryset

    get_queryset.readable_only = True
    ChangeList.get_queryset = get_queryset


def _collides_with_a_stored_row(formset, form, fields, shown: list) -> bool:
    """Whether `form`'s row, saved, would hold the values of `fields` (a unique set
    naming the inline key) that a stored row of the parent holds which this formset does
    not show (`shown`: the ids of those it shows, which are the formset's own check:
    Django's, with their new values and without the rows it deletes)."""
    instance = form.instance
    values = {}
    for name in fields:
        field = instance._meta.get_field(name)
        value = getattr(instance, field.attname)
        if value is None:
            return False  # NULLs are all distinct
        values[field.attname] = value
    # Every stored row, those in the recycle bin too: the constraint holds them all.
    rows = formset.model._base_manager.using(router.db_for_write(formset.model))
    return rows.filter(**values).exclude(pk__in=shown).exists()


def _install_inline_constraints() -> None:
    from django.forms.models import BaseInlineFormSet

    original = BaseInlineFormSet.validate_unique
    if getattr(original, "inline_key_constraints", False):
        return

    @wraps(original)
    def validate_unique(self):
        original(self)
        if self.instance.pk is None:
            return  # a new parent has no stored rows
        checks = [
            c.fields for c in self.model._meta.total_unique_constraints if self.fk.name in c.fields
        ]
        checks += [t for t in self.model._meta.unique_together if self.fk.name in t]
        if not checks:
            return
        deleted = set(self.deleted_forms) if self.can_delete else set()
        shown = [f.instance.pk for f in self.initial_forms if f.instance.pk is not None]
        for form in self.forms:
            if form in deleted or not form.is_valid() or not form.has_changed():
                continue
            for fields in checks:
                if _collides_with_a_stored_row(self, form, fields, shown):
                    message = form.instance.unique_error_message(self.model, tuple(fields))
                    form.add_error(None, message)
                    break

    validate_unique.inline_key_constraints = True
    BaseInlineFormSet.validate_unique = validate_unique


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
