"""A JSON-lines body, split into chunks and read back item by item.

A line is one JSON object; blank lines are skipped but counted, so that a result's
`line` is the line of the file a person opens. A line that is no JSON object is an item
that fails on its own (its result says why, with its line number). A body is refused
whole (400) only when it is not JSON lines at all: not UTF-8, empty, or none of its
first `SNIFF_LINES` non-blank lines is a JSON object (a CSV, a spreadsheet, one JSON
list).
"""

import json
from dataclasses import dataclass

from django.utils.translation import gettext as _

from keyaccounts.api.parsers import lone_surrogate_problem

CHUNK_ITEMS = 500
SNIFF_LINES = 100


class NotJsonLines(ValueError):
    """The body is not JSON lines at all."""


@dataclass
class Chunk:
    first_line: int
    items: int
    lines: bytes


def split(body: bytes, *, chunk_items: int = CHUNK_ITEMS) -> list[Chunk]:
    """The body's chunks of `chunk_items` non-blank lines; NotJsonLines if it is none."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise NotJsonLines(
            _("The body is not UTF-8 text (byte %(position)d): send JSON lines in UTF-8.")
            % {"position": error.start}
        ) from None
    lines = body.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the newline that ends the last line
    chunks: list[Chunk] = []
    start = 0  # index of the chunk's first line
    items = 0
    sniffed = 0
    looks_right = False
    for number, line in enumerate(lines):
        if not line.strip():
            continue
        if not looks_right and sniffed < SNIFF_LINES:
            sniffed += 1
            looks_right = _is_object(line)
        items += 1
        if items == chunk_items:
            chunks.append(Chunk(start + 1, items, b"\n".join(lines[start : number + 1])))
            start, items = number + 1, 0
    if items:
        chunks.append(Chunk(start + 1, items, b"\n".join(lines[start:])))
    if not chunks:
        raise NotJsonLines(_("The body is empty: send one JSON object per line."))
    if not looks_right:
        raise NotJsonLines(
            _(
                "The body is not JSON lines: none of its first %(count)d lines is a JSON "
                "object. Send one JSON object per line (not a JSON list, not CSV)."
            )
            % {"count": sniffed}
        )
    return chunks


def _is_object(line: bytes) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except (ValueError, RecursionError):
        return False


def items_of(chunk_lines: bytes, first_line: int):
    """(line number, the item or None, why not) for each non-blank line."""
    for offset, raw in enumerate(chunk_lines.split(b"\n")):
        if not raw.strip():
            continue
        number = first_line + offset
        try:
            value = json.loads(raw)
        except RecursionError:
            yield (
                number,
                None,
                _("Line %(line)d is nested too deeply to be read.") % {"line": number},
            )
            continue
        except ValueError as error:
            yield (
                number,
                None,
                _("Line %(line)d is not valid JSON (%(error)s): send one JSON object per line.")
                % {"line": number, "error": error},
            )
            continue
        if not isinstance(value, dict):
            yield (
                number,
                None,
                _("Line %(line)d is not a JSON object: send one record per line as {…}.")
                % {"line": number},
            )
            continue
        problem = lone_surrogate_problem(raw.decode("utf-8", "replace"), value)
        if problem:  # as the API's parser refuses it (its message repeated it: unwritable)
            yield (
                number,
                None,
                _("Line %(line)d: %(problem)s") % {"line": number, "problem": problem},
            )
            continue
        yield number, value, None
