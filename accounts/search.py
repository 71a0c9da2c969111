"""Finding text anywhere in a name with an index, however short the text.

Django's `icontains` is `UPPER(col::text) LIKE UPPER('%…%')`, which no b-tree serves.
pg_trgm's GIN indexes (accounts migration 0006) serve it for three characters or more;
a shorter text gives no trigram, and most Chinese searches are one or two characters
(华为, 科技, 安泰): a superuser's search for them read every account's and every
contact's name (270 ms to 1.3 s at 100,000 accounts and 500,000 contacts).

So the names' characters are indexed too (migration 0015): a GIN index of
`string_to_array(UPPER(name), NULL)` — the set of a name's characters, 3 to 5 MB for
the 600,000 names of the benchmark. Every character of the text being among the name's
is necessary for the text to be in the name, so `has_every_character(column, text)`
added beside the `icontains` narrows by the index, and the `LIKE` checks the rows
found (two characters: 2,000 accounts found in 4 ms). PostgreSQL only; elsewhere
(SQLite in development) it adds nothing, and the `LIKE` alone decides, as before.
"""

from django.db import connections
from django.db.models import BooleanField, F, Q, Value
from django.db.models.expressions import Func

# Shorter texts than this have no trigram: the characters' index serves them.
TRIGRAM = 3


class HasEveryCharacter(Func):
    """PostgreSQL: every character of a text is among the characters of a column,
    compared upper-cased as `icontains` compares (the expression the character indexes
    of migration 0015 hold)."""

    output_field = BooleanField()

    def __init__(self, column: str, text: str):
        super().__init__(F(column), Value(text))

    def as_sql(self, compiler, connection, **extra_context):
        column, column_params = compiler.compile(self.source_expressions[0])
        text, text_params = compiler.compile(self.source_expressions[1])
        sql = (
            f"string_to_array(UPPER(({column})::text), NULL)"
            f" @> string_to_array(UPPER({text}), NULL)"
        )
        return sql, [*column_params, *text_params]


def name_holds(column: str, text: str, *, using: str, trigram: bool = True) -> Q:
    """`column__icontains=text`, with its characters' index on PostgreSQL for a text too
    short for a trigram (`trigram`: the column has a trigram index; without one, for
    any text)."""
    holds = Q(**{f"{column}__icontains": text})
    if connections[using].vendor == "postgresql" and (len(text) < TRIGRAM or not trigram):
        return Q(HasEveryCharacter(column, text)) & holds
    return holds
