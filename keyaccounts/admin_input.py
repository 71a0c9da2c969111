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
- An inline row against a constraint on its parent. Django 5.2 leaves the inline key
  (an inline row's `InlineForeignKeyField`) out of the model's constraint checks, so a
  `UniqueConstraint` naming it (one advantage of each kind per plan) was never checked on
  the form: a stored row posted again as a new one (the hidden `INITIAL_FORMS` counter
  edited) ended in an IntegrityError, 500. The wrap checks those constraints with the
  form's unique checks; the row shows the constraint's message and nothing is written.
  Django 6.0 does the same itself (ticket #35676); the wrap goes with that upgrade.

`install()`, from `KeyaccountsConfig.ready`, wraps the three Django methods once, rather
than a widget or admin class in each of the admin's models, which a new one could miss.
"""

from functools import wraps

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import router

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
    _install_inline_constraints()


def _inline_key_constraint_errors(form) -> list:
    """What the constraints naming the form's inline key say of its instance."""
    from django.forms.models import InlineForeignKeyField

    keys = {name for name, field in form.fields.items() if isinstance(field, InlineForeignKeyField)}
    if not keys:
        return []
    instance = form.instance
    exclude = form._get_validation_exclusions()
    using = router.db_for_write(type(instance), instance=instance)
    errors = []
    for model_class, constraints in instance.get_constraints():
        for constraint in constraints:
            if not keys & set(getattr(constraint, "fields", ())):
                continue  # checked already by the model's own full_clean()
            try:
                constraint.validate(model_class, instance, exclude=exclude, using=using)
            except ValidationError as error:
                errors.extend(error.error_list)
    return errors


def _install_inline_constraints() -> None:
    from django.forms.models import BaseModelForm

    original = BaseModelForm.validate_unique
    if getattr(original, "inline_key_constraints", False):
        return

    @wraps(original)
    def validate_unique(self):
        original(self)
        if errors := _inline_key_constraint_errors(self):
            self._update_errors(ValidationError({NON_FIELD_ERRORS: errors}))

    validate_unique.inline_key_constraints = True
    BaseModelForm.validate_unique = validate_unique


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
