"""What counts as text: no control characters but tab, newline and carriage return.

A NUL is refused by PostgreSQL in any text column, and the other C0 controls (a bell,
a form feed, an escape pasted from a terminal) cannot be written into an XLSX export
(XML 1.0 forbids them) and show as nothing on a page; so input that holds one is refused
where it comes in, naming the field: record fields (VersionedModel.clean_fields, which
forms, the API and imports all reach) and query strings (keyaccounts/querystring.py).
"""

import re

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control_characters(value: str) -> bool:
    return bool(CONTROL_CHARACTERS.search(value))
