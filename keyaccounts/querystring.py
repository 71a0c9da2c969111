"""A query string that is no text answers 400 naming the parameter, before any view.

Django decodes a query string leniently: bytes that are no UTF-8 become U+FFFD, and a
NUL byte (`%00`) is passed on as it is — to a filter or search box that hands it to
PostgreSQL, which refuses NUL in text, so the page answered 500. Every parameter's name
and value must be UTF-8 without NUL or other control characters (tab, newline and
carriage return are text); else the answer is 400 with the parameter named: the API's
error format under /api/, the 400 page elsewhere.
"""

from urllib.parse import unquote_to_bytes

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from keyaccounts.text import CONTROL_CHARACTERS as CONTROL


def _as_bytes(query_string: str) -> bytes:
    # WSGI hands the query string over as latin-1 (PEP 3333), as Django reads it back.
    try:
        return query_string.encode("iso-8859-1")
    except UnicodeEncodeError:
        return query_string.encode("utf-8")


def query_string_problem(query_string: str) -> tuple[str, str] | None:
    """(parameter, message) for the first parameter that is no clean text, else None."""
    for pair in _as_bytes(query_string).split(b"&"):
        name, _equals, value = (
            unquote_to_bytes(part.replace(b"+", b" ")) for part in pair.partition(b"=")
        )
        parameter = CONTROL.sub("?", name.decode("utf-8", errors="replace"))
        try:
            text = name.decode("utf-8") + value.decode("utf-8")
        except UnicodeDecodeError:
            return parameter, _(
                "The parameter “%(parameter)s” is not valid UTF-8: send UTF-8 text, "
                "percent-encoded."
            ) % {"parameter": parameter}
        if CONTROL.search(text):
            return parameter, _(
                "The parameter “%(parameter)s” contains a control character (such as NUL): "
                "send plain text."
            ) % {"parameter": parameter}
    return None


class QueryStringMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = query_string_problem(request.META.get("QUERY_STRING", ""))
        if problem is None:
            return self.get_response(request)
        parameter, message = problem
        if request.path.startswith("/api/"):
            from keyaccounts.api.exceptions import error_body
            from keyaccounts.api.throttling import note_rate_limit_of_plain_answer

            note_rate_limit_of_plain_answer(request)  # RateLimit-* as on every API answer
            return JsonResponse(
                error_body(_("Invalid query parameter."), "invalid", {parameter: [message]}),
                status=400,
            )
        return render(request, "400.html", {"problem": message}, status=400)


def id_param(value: str) -> int | None:
    """A query parameter naming a record's id, as a number; None for anything else
    ("²" is a digit to Python but no number to `int`; an id has at most 18 digits)."""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None
