"""A data migration's test moves the schema back to before it and forward again, on the
test database (`pytest.mark.django_db(transaction=True)`), and back to the latest at the
end (`latest()`)."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(target):
    """Migrate to `target` ([(app, migration)]); the apps as they are there."""
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def latest():
    """Back to every app's latest migration."""
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
