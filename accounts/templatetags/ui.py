"""Small template helpers shared by every app's pages."""

from django import template

register = template.Library()


@register.filter
def filters_set(form) -> bool:
    """Whether any filter besides the search box has a value (keeps them unfolded)."""
    return any(form[name].value() not in (None, "", []) for name in form.fields if name != "q")
