"""Records a file names by name, of a type an app above this one defines (a deal's sales
stage). A column that refers to such a record has the model's name as its kind
(`columns.field_kind`: "stage"); its app registers the lookup for that kind from its
`AppConfig.ready()` (`opportunities/imports.py`), so the engine reads the cells, and the
template lists the accepted values, without knowing the model.

A lookup is a class, made once per import (it reads the records then), with
`find(text)`: the record the text names, or `values.CellError` saying what is accepted;
and `accepted()`: each record's names, for the template's "Accepted values" sheet.
"""

_lookups: dict[str, type] = {}


def register(kind: str, lookup: type) -> None:
    """Have the columns of `kind` read through `lookup`; registering again replaces it."""
    _lookups[kind] = lookup


def registered(kind: str) -> bool:
    return kind in _lookups


def lookup(kind: str):
    """A new lookup of `kind` (it reads its records now)."""
    try:
        found = _lookups[kind]
    except KeyError:
        raise ValueError(f"no lookup is registered for the column kind {kind!r}") from None
    return found()
