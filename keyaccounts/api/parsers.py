"""The API's one body parser: JSON, read with limits so that no body, however shaped,
answers 500.

DRF's own `JSONParser` reads the whole stream, however long (Django's
DATA_UPLOAD_MAX_MEMORY_SIZE only guards `request.body` and form data, and DRF reads the
stream itself), and lets the `RecursionError` of a body nested thousands deep escape as
a 500. Here a body longer than DATA_UPLOAD_MAX_MEMORY_SIZE answers 413 without being
read further, one nested deeper than Python's recursion limit answers 400, and bytes that
are no UTF-8 answer 400, as does a string holding half of a UTF-16 surrogate pair
(`"\\ud83d"` alone: JSON lets an escape say it, Unicode has no such character, and no
field can keep it — a choice's refusal that repeated it failed to render, and PostgreSQL
refuses it in JSON); each in the API's error format (keyaccounts/api/exceptions.py).
"""

import re

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers, status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.utils import json


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise RequestTooLarge(
                _("The body is larger than %(limit)s bytes; send less in one request.")
                % {"limit": limit}
            )
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise ParseError(
                _("The body is not valid %(encoding)s text.") % {"encoding": encoding}
            ) from None
        parse_constant = json.strict_constant if self.strict else None
        try:
            data = json.loads(text, parse_constant=parse_constant)
        except RecursionError:
            raise ParseError(_("The JSON body is nested too deeply to be read.")) from None
        except ValueError as exc:
            raise ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from exc
        problem = lone_surrogate_problem(text, data)
        if problem:
            raise ParseError(problem)
        return data


def lone_surrogate_problem(text: str, data) -> str | None:
    """What to say of `data` (parsed from the JSON `text`) if a string or key of it holds
    half of a UTF-16 surrogate pair; None if none does (the bulk jobs' lines ask too)."""
    if not SURROGATE_ESCAPE.search(text):  # else no string of it can hold one
        return None
    where = _lone_surrogate_at(data)
    if where is None:
        return None
    return _(
        "%(where)s holds half of a UTF-16 surrogate pair (an escape such as \\ud83d "
        "alone), which is no character. Expected: text in valid Unicode (an emoji as its "
        "pair, \\ud83d\\ude00, or as itself)."
    ) % {"where": where or _("The body")}


SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
SURROGATE = re.compile("[\ud800-\udfff]")


def _lone_surrogate_at(value, path: str = "") -> str | None:
    """Where in `value` (parsed JSON) a string or key holds a surrogate: "[1].attitude",
    "" for the body itself; None if nowhere."""
    if isinstance(value, str):
        return path if SURROGATE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}.{key}" if path else str(key)
            if SURROGATE.search(key):
                return path or ""
            found = _lone_surrogate_at(item, here)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _lone_surrogate_at(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None
