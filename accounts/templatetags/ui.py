"""Small template helpers shared by every app's pages."""

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
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


@register.simple_tag
def form_field(field) -> str:
    """A form's field as every form of the project shows it: its label (after the box for
    a checkbox), the widget, what someone else saved there meanwhile (a merge form's
    `their_value`), the help text and each error, the last followed by the form's
    `error_links` for the field. Written in Python, not an included template: a list's
    filters are fourteen of these on every page, and the template's lookups were a
    quarter of the filter form's time. Every part's id is the field's (`<id>_error`,
    `<id>_helptext`, `<id>_theirs`), as the widgets' `aria-describedby` names them."""
    if not hasattr(field, "field"):
        return ""  # no such field on this form (`form.missing`): nothing to draw
    esc = conditional_escape
    checkbox = getattr(field.field.widget, "input_type", None) == "checkbox"
    errors = field.errors
    classes = "field"
    if errors:
        classes += " has-error"
    if checkbox:
        classes += " checkbox"
    if field.field.required:
        classes += " required"
    label = f'<label for="{esc(field.id_for_label)}">{esc(field.label)}</label>'
    out = [f'<div class="{classes}">\n  ']
    if checkbox:
        out.append(f"\n    {field} {label}\n  ")
    else:
        out.append(f"\n    {label}\n    {field}\n  ")
    out.append("\n  ")
    auto_id = esc(field.auto_id)
    theirs = getattr(field, "their_value", None)
    if theirs:
        text = _("Saved meanwhile by someone else: %(value)s") % {"value": esc(theirs)}
        out.append(f'<small class="theirs" id="{auto_id}_theirs">{text}</small>')
    out.append("\n  ")
    if field.help_text:
        out.append(f'<small class="help" id="{auto_id}_helptext">{esc(field.help_text)}</small>')
    out.append("\n  ")
    last = len(errors) - 1
    for number, error in enumerate(errors):
        out.append(f'<p class="error" id="{auto_id}_error">{esc(error)}')
        if number == last:
            out += [f' <a href="{esc(url)}">{esc(text)}</a>' for text, url in error_links(field)]
        out.append("</p>")
    out.append("\n</div>\n")
    return mark_safe("".join(out))
