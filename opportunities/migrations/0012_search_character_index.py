# The board's search (`opportunities.filters.search_deals`) finds a deal by its name, its
# account's name or its external ID. For a superuser that read every deal's name (a text
# that no deal holds: 1 s at 200,000 deals, each column's cards walking every deal). A
# GIN index of the names' characters (as accounts migration 0015, `accounts.search`: a
# text of one or two characters has no trigram) with its statistics, and a b-tree of the
# upper-cased external ID (`iexact`), let each part be read by an index. PostgreSQL
# only: on another database this migration does nothing.

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    chars = "(string_to_array(UPPER((name)::text), NULL))"
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS deal_search_chars_idx ON opportunities_opportunity "
        f"USING gin ({chars}) WHERE deleted_at IS NULL"
    )
    schema_editor.execute(
        "CREATE STATISTICS IF NOT EXISTS deal_name_chars_stats "
        f"ON {chars} FROM opportunities_opportunity"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS deal_external_id_upper_idx ON opportunities_opportunity "
        "(UPPER((external_id)::text)) WHERE deleted_at IS NULL AND external_id IS NOT NULL"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS deal_search_chars_idx")
    schema_editor.execute("DROP STATISTICS IF EXISTS deal_name_chars_stats")
    schema_editor.execute("DROP INDEX IF EXISTS deal_external_id_upper_idx")


class Migration(migrations.Migration):
    dependencies = [
        ("opportunities", "0011_board_column_index"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
