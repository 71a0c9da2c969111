"""Small template helpers shared by every app's pages."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def filters_set(form) -> int:
    """How many filters besides the search box have a value: the folded filters say so in
    their summary, and are unfolded when any is set (on a phone, rows.js folds them again
    so the results come first)."""
    return sum(_is_set(form[name].value()) for name in form.fields if name != "q")


def _is_set(value) -> bool:
    """A value the user gave: a picker sends its id and its text box even when both
    are empty (accounts/picker.py: Typed, TypedMany), which sets nothing; an unticked
    checkbox ("open only") is no filter either."""
    if value is False or value in (None, "", []):
        return False
    pks = getattr(value, "pks", None)
    if pks is not None or hasattr(value, "pk"):
        chosen = pks if pks is not None else value.pk
        return bool(chosen) or bool((value.text or "").strip())
    return True


@register.filter
def error_links(field) -> list:
    """What a field's error points to, as (text, address) pairs: `form.error_links`, by
    field name, set by a form whose error names another record (a plan's period taken:
    "Open the plan for 2026")."""
    return getattr(field.form, "error_links", {}).get(field.name, [])


@register.simple_tag
def grade_badge(grade) -> str:
    """An account's grade as a badge, "–" when it is not graded yet (empty: an account
    without a score, `account.score.grade` included). A tag, not an include: it is in
    every row of the lists and on every card of the board."""
    if grade:
        title = _("Grade %(grade)s") % {"grade": grade}
        return format_html(
            '<span class="badge grade grade-{0}" title="{1}">{0}</span>', grade, title
        )
    return format_html(
        '<span class="badge grade grade-none" title="{}">–</span>', _("Not graded yet")
    )
