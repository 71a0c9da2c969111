"""A page form's body that is no UTF-8 answers 400 naming the field, before any view.

Django decodes a form body leniently: bytes that are no UTF-8 become U+FFFD (�), so a
name typed in a legacy encoding (GBK from an old tool, Latin-1 from a script) would be
saved as a row of question marks. A POST, PUT or PATCH to a page (the API parses its
JSON strictly itself: keyaccounts/api/parsers.py) is checked first:

- `application/x-www-form-urlencoded`: every field's name and value, percent-decoded,
  must be UTF-8 — checked on the bytes, exactly;
- `multipart/form-data`: Django has decoded the text fields by the time anyone sees
  them, so a field whose name or value holds U+FFFD is refused — bytes that were no
  UTF-8, or the replacement character itself, the trace of text already lost. Files are
  the import's to read (keyaccounts/imports/reading.py).

The answer is the 400 page with the field named; nothing is written. Control characters
in well-formed text are each field's to refuse, as a message on the form
(keyaccounts/text.py).
"""

from urllib.parse import unquote_to_bytes

from django.shortcuts import render
from django.utils.translation import gettext as _

from keyaccounts.text import LINE_CONTROL_CHARACTERS

REPLACEMENT = "\ufffd"


def _shown(name: str) -> str:
    return LINE_CONTROL_CHARACTERS.sub("?", name)[:100]


def urlencoded_problem(body: bytes) -> str | None:
    """The name of the first field of a urlencoded `body` that is no UTF-8, else None."""
    for pair in body.split(b"&"):
        if not pair:
            continue
        name, _equals, value = (
            unquote_to_bytes(part.replace(b"+", b" ")) for part in pair.partition(b"=")
        )
        try:
            name.decode("utf-8")
            value.decode("utf-8")
        except UnicodeDecodeError:
            return _shown(name.decode("utf-8", errors="replace"))
    return None


def multipart_problem(post) -> str | None:
    """The name of the first decoded multipart text field holding U+FFFD, else None."""
    for name, values in post.lists():
        if REPLACEMENT in name or any(REPLACEMENT in value for value in values):
            return _shown(name)
    return None


def form_body_problem(request) -> str | None:
    if request.method not in ("POST", "PUT", "PATCH") or request.path.startswith("/api/"):
        return None
    content_type = request.content_type or ""
    if content_type == "application/x-www-form-urlencoded":
        return urlencoded_problem(request.body)
    if content_type == "multipart/form-data" and request.method == "POST":
        return multipart_problem(request.POST)
    return None


class FormBodyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        field = form_body_problem(request)
        if field is None:
            return self.get_response(request)
        message = _(
            "The field “%(field)s” is not valid UTF-8 text: send the form again from the "
            "page (a browser sends UTF-8), or encode what you send as UTF-8."
        ) % {"field": field}
        return render(request, "400.html", {"problem": message}, status=400)
