# Statistics of the upper-cased names the trigram indexes of 0006 hold (issue 9).
#
# Those indexes are partial (`WHERE deleted_at IS NULL`), and PostgreSQL keeps no
# statistics of a partial index's expressions: it guessed that 4 % of the names hold any
# text of three characters or more (4,000 of 100,000 accounts), and so read the name
# b-tree whole (75 ms) rather than probe the trigram index for a name nobody has (0.1 ms)
# wherever the names were a subquery of their own (the development records' search).
# Extended statistics of the same expressions give it their histograms, as 0015 did for
# the names' characters. PostgreSQL only.

from django.db import migrations

STATISTICS = [
    ("account_name_upper_stats", "accounts_account", "name"),
    ("account_region_upper_stats", "accounts_account", "region"),
    ("contact_name_upper_stats", "accounts_contact", "name"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column in STATISTICS:
        schema_editor.execute(
            f"CREATE STATISTICS IF NOT EXISTS {name} ON (UPPER(({column})::text)) FROM {table}"
        )
    # Statistics are gathered by ANALYZE: now, not whenever autovacuum next looks.
    for table in sorted({table for _name, table, _column in STATISTICS}):
        schema_editor.execute(f"ANALYZE {table}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in STATISTICS:
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0015_search_character_indexes"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
