# Trigram indexes for the searches that look for text anywhere in a name (issue 9).
#
# Django's `icontains` is `UPPER(col::text) LIKE UPPER('%…%')` on PostgreSQL, which no
# b-tree can serve; a GIN index of pg_trgm's trigrams on the same expression can, for a
# text of three characters or more (a shorter one gives no trigram: the search reads the
# user's own accounts instead, accounts.filters.search_accounts); pg_trgm's GIN also
# serves `=` (an external ID). PostgreSQL only: on another database (SQLite in
# development) this migration does nothing. The indexes are
# not in the models' Meta (Django's GinIndex would be created on SQLite too).

from django.db import migrations

INDEXES = [
    # The account search (name, region, external ID: one GIN index serves each, and an
    # OR of the three as a BitmapOr) and the account picker's suggestions (name).
    ("account_search_trgm_idx", "accounts_account", ["name", "region", "external_id"]),
    # The account search's contacts (a superuser's search reads the matching contacts once).
    ("contact_name_trgm_idx", "accounts_contact", ["name"]),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, columns in INDEXES:
        # The expression Django's icontains / iexact compare: UPPER(col::text).
        keys = ", ".join(f"(UPPER(({column})::text)) gin_trgm_ops" for column in columns)
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({keys}) "
            "WHERE deleted_at IS NULL"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _columns in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    # The extension stays: dropping it could break what else came to use it.


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_keyset_list_indexes"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
