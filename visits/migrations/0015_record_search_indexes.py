# The development records' search (`visits.filters.DevelopmentRecordFilter.search`): a
# text in the account's name, the record's summary or its remarks. The accounts' names
# have their indexes (accounts 0006, 0015); the summaries and remarks had none, so a
# superuser's search for a text no record holds read every record. A GIN index of their
# trigrams (three characters or more) and one of their characters (fewer: most Chinese
# searches), each over both columns (an OR of the two as a BitmapOr), with statistics of
# the same expressions (a partial index keeps none for the planner). PostgreSQL only: on
# another database this migration does nothing.

from django.db import migrations

COLUMNS = ("summary", "remarks")


def upper(column: str) -> str:
    return f"(UPPER(({column})::text))"


def characters(column: str) -> str:
    return f"(string_to_array(UPPER(({column})::text), NULL))"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    trigrams = ", ".join(f"{upper(column)} gin_trgm_ops" for column in COLUMNS)
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS devrecord_search_trgm_idx ON visits_developmentrecord "
        f"USING gin ({trigrams}) WHERE deleted_at IS NULL"
    )
    chars = ", ".join(characters(column) for column in COLUMNS)
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS devrecord_search_chars_idx ON visits_developmentrecord "
        f"USING gin ({chars}) WHERE deleted_at IS NULL"
    )
    for column in COLUMNS:
        for kind, expression in (("upper", upper(column)), ("chars", characters(column))):
            schema_editor.execute(
                f"CREATE STATISTICS IF NOT EXISTS devrecord_{column}_{kind}_stats "
                f"ON {expression} FROM visits_developmentrecord"
            )
    # Statistics are gathered by ANALYZE: now, not whenever autovacuum next looks.
    schema_editor.execute("ANALYZE visits_developmentrecord")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS devrecord_search_trgm_idx")
    schema_editor.execute("DROP INDEX IF EXISTS devrecord_search_chars_idx")
    for column in COLUMNS:
        for kind in ("upper", "chars"):
            schema_editor.execute(f"DROP STATISTICS IF EXISTS devrecord_{column}_{kind}_stats")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0016_search_upper_statistics"),
        ("visits", "0014_planned_attendance"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
