"""Install the default sales stages with their exit criteria."""

from django.db import migrations

from opportunities.defaults import ensure_default_stages


def create_stages(apps, schema_editor):
    ensure_default_stages(
        apps.get_model("opportunities", "Stage"), apps.get_model("opportunities", "ExitCriterion")
    )


class Migration(migrations.Migration):
    dependencies = [("opportunities", "0001_initial")]

    operations = [migrations.RunPython(create_stages, migrations.RunPython.noop)]
