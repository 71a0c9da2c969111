# A user's attendee rows read by (user, visit) from one index, read alone (an index-only
# scan): my week and the list of planned visits read every visit a user was asked along
# to, which PostgreSQL answered by a scan of the whole attendee table (at 100,000
# accounts, 163,000 rows for a rep's 865) rather than the single-column index on user.
# The table is the one Django makes for `Visit.attendees`, so its indexes are not in the
# model's state: the composite index replaces the single-column ones Django made on
# user_id (it leads the new one) and visit_id (the unique (visit_id, user_id) leads with
# it), so a write makes one index entry fewer. The table is small (163,000 rows at
# 100,000 accounts: built in under a second), so the index is built in the migration's
# transaction. Django does not know of it: were the table ever rebuilt by a migration on
# SQLite, it would come back with Django's indexes (the query plans' test is PostgreSQL's).

from django.db import migrations

TABLE = "visits_visit_attendees"
INDEX = "visits_visit_attendees_user_visit_idx"
SINGLE = ("user_id", "visit_id")


def single_column_indexes(schema_editor) -> dict[str, str]:
    """{column: index name} of the plain indexes on one of `SINGLE`."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, TABLE)
    return {
        found["columns"][0]: name
        for name, found in constraints.items()
        if found["index"]
        and not found["unique"]
        and not found["primary_key"]
        and found["columns"] in ([column] for column in SINGLE)
    }


def forwards(apps, schema_editor):
    quote = schema_editor.quote_name
    schema_editor.execute(f"CREATE INDEX {quote(INDEX)} ON {quote(TABLE)} (user_id, visit_id)")
    for name in single_column_indexes(schema_editor).values():
        schema_editor.execute(f"DROP INDEX {quote(name)}")


def backwards(apps, schema_editor):
    quote = schema_editor.quote_name
    present = single_column_indexes(schema_editor)
    for column in SINGLE:
        if column not in present:
            name = schema_editor._create_index_name(TABLE, [column])
            schema_editor.execute(f"CREATE INDEX {quote(name)} ON {quote(TABLE)} ({quote(column)})")
    schema_editor.execute(f"DROP INDEX {quote(INDEX)}")


class Migration(migrations.Migration):
    dependencies = [("visits", "0011_lean_record_indexes")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
