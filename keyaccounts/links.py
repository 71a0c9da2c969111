"""Links to records, with the URL resolver asked once per kind of link instead of once per
link.

`reverse()` costs about 40 µs (it matches the arguments against every pattern of the
name); a page of 140 deal cards, each with its page and its "Move…" link, spent 12 ms of
its 35 on it. `record_url("opportunities:detail", 42)` asks `reverse` once with marker ids
for each (view name, script prefix, URLconf), keeps the text around them, and afterwards
puts the ids in between: the same string `reverse` gives (tests/test_links.py compares
them for every record type's link), for views whose arguments are ids (`<int:…>`).
Anything else (not an int, a name that needs other arguments) is `reverse`'s to answer,
errors included.

In templates: `{{ deal.pk|link:"opportunities:move" }}` (`{% load links %}`), for the one
id of a link in a loop; `{% url %}` elsewhere.
"""

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.http import url_has_allowed_host_and_scheme

# Marker ids: digits that no prefix or pattern contains, one per positional argument.
MARKS = (8237461905118273, 8237461905118274, 8237461905118275)

_parts: dict[tuple, tuple[str, ...] | None] = {}


def _split(viewname: str, count: int) -> tuple[str, ...] | None:
    """The text around each id of the link (count + 1 pieces), or None when the
    link is not made of the ids as given (a converter that changes them)."""
    url = reverse(viewname, args=MARKS[:count])
    pieces = []
    for mark in map(str, MARKS[:count]):
        if url.count(mark) != 1:
            return None
        head, _, url = url.partition(mark)
        pieces.append(head)
    pieces.append(url)
    return tuple(pieces)


def record_url(viewname: str, *ids: int) -> str:
    """`reverse(viewname, args=ids)` for ids (ints), the resolver asked once."""
    if not 0 < len(ids) <= len(MARKS) or any(type(pk) is not int or pk < 0 for pk in ids):
        return reverse(viewname, args=ids)
    key = (viewname, len(ids), get_script_prefix(), get_urlconf())
    try:
        pieces = _parts[key]
    except KeyError:
        pieces = _parts[key] = _split(viewname, len(ids))
    if pieces is None:
        return reverse(viewname, args=ids)
    out = [pieces[0]]
    for pk, piece in zip(ids, pieces[1:], strict=True):
        out += (str(pk), piece)
    return "".join(out)


@receiver(setting_changed)
def _forget(*, setting, **kwargs):
    """A test that swaps the URLconf gets its links, as `reverse` clears its own cache."""
    if setting == "ROOT_URLCONF":
        _parts.clear()


def safe_next(request) -> str:
    """Where a form goes back to after saving (its `next`, posted or in the address): a
    page of this site, or "" (none given, or another site's: never an open redirect)."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""
