"""`{{ deal.pk|link:"opportunities:move" }}`: `{% url "opportunities:move" deal.pk %}`
without asking the URL resolver for each card of a loop (keyaccounts/links.py)."""

from urllib.parse import urlsplit

from django import template
from django.utils.http import url_has_allowed_host_and_scheme

from keyaccounts.links import record_url

register = template.Library()


@register.filter
def link(pk, viewname: str) -> str:
    return record_url(viewname, pk)


@register.filter
def page_to_return_to(request) -> str:
    """Where a form in the header (the language switch) leads back to: this page, or,
    for the answer to a POST (a form shown again with its mistakes, at an address that
    takes only POST), the page the form was sent from — never an address that answers
    405 to the GET that follows."""
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(referer)
        if parts.path != request.path:  # not the form's own address, sent again
            return parts.path + (f"?{parts.query}" if parts.query else "")
    return _record_page(request.path)


def _record_page(path: str) -> str:
    """The record an action's address is under: `/reviews/3/follow-ups/new/` →
    `/reviews/3/`, `/complaints/4/respond/` → `/complaints/4/`; else the home page."""
    parts = path.strip("/").split("/")
    while parts and not parts[-1].isdigit():
        parts.pop()
    return f"/{'/'.join(parts)}/" if parts else "/"
