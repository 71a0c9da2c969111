# Indexes of the characters of names, for a search text too short for a trigram (one or
# two characters: most Chinese searches), `accounts.search`.
#
# `string_to_array(UPPER(col::text), NULL)` is the set of a name's characters, upper-cased
# as Django's icontains compares; a GIN index of it answers "names holding every
# character of the text" (`@>`), and the LIKE checks those. PostgreSQL only, as the
# trigram indexes of 0006: on another database this migration does nothing, and the
# indexes are not in the models' Meta.
#
# PostgreSQL keeps no statistics of a partial index's expressions for the planner, so it
# would guess that 0.5 % of the names hold a character (华 is in 5.5 % of the contacts'
# names, 9.5 % of the accounts'), and hash every match of a common one where a few probes
# do: extended statistics of the same expressions give it their characters' frequencies.

from django.db import migrations

INDEXES = [
    # The account search's name and region (an OR of the two as a BitmapOr).
    ("account_search_chars_idx", "accounts_account", ["name", "region"]),
    # The account search's contacts.
    ("contact_name_chars_idx", "accounts_contact", ["name"]),
]


STATISTICS = [
    ("account_name_chars_stats", "accounts_account", "name"),
    ("account_region_chars_stats", "accounts_account", "region"),
    ("contact_name_chars_stats", "accounts_contact", "name"),
]


def characters(column: str) -> str:
    return f"(string_to_array(UPPER(({column})::text), NULL))"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, columns in INDEXES:
        keys = ", ".join(characters(column) for column in columns)
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({keys}) "
            "WHERE deleted_at IS NULL"
        )
    for name, table, column in STATISTICS:
        schema_editor.execute(
            f"CREATE STATISTICS IF NOT EXISTS {name} ON {characters(column)} FROM {table}"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _columns in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    for name, _table, _column in STATISTICS:
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0014_access_live"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
