from django.db import migrations

from scoring.defaults import ensure_default_model


class Migration(migrations.Migration):
    dependencies = [("scoring", "0001_initial")]

    operations = [migrations.RunPython(ensure_default_model, migrations.RunPython.noop)]
