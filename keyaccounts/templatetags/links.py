"""`{{ deal.pk|link:"opportunities:move" }}`: `{% url "opportunities:move" deal.pk %}`
without asking the URL resolver for each card of a loop (keyaccounts/links.py)."""

from django import template

from keyaccounts.links import record_url

register = template.Library()


@register.filter
def link(pk, viewname: str) -> str:
    return record_url(viewname, pk)
