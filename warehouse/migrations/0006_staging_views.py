"""The staging layer: views (and the settlement function) over dj-stripe's tables, from
warehouse/sql/staging/. The write path and the rebuild read them.

The files are read when the migration runs, so the views always match the code that reads
them; a later change to a staging file ships with a migration that runs them again.
"""

from django.db import migrations

from warehouse.staging import create_staging_objects, drop_staging_objects


def create(apps, schema_editor):
    create_staging_objects(schema_editor.connection)


def drop(apps, schema_editor):
    drop_staging_objects(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("warehouse", "0005_user_acquisition_install_day"),
        ("djstripe", "0003_2_11"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
