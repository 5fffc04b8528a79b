"""The staging views (and the settlement function) over dj-stripe's tables, from
warehouse/sql/staging/, and the intermediate customer months of warehouse/sql/marts/. The
write path and the rebuild read them.

The files are read when the migration runs, so the views always match the code that reads
them; a later change to a staging file ships with a migration that runs them again.
"""

from django.db import migrations

from warehouse.database_views import create_database_views, drop_database_views


def create(apps, schema_editor):
    create_database_views(schema_editor.connection)


def refresh_marts_in_full(apps, schema_editor):
    """A database that already holds customer months (from before 0004's to-date columns, or
    from the previous write path) gets its marts recomputed from its facts; a fresh one skips."""
    if (
        apps.get_model("warehouse", "FactTransaction")
        .objects.using(schema_editor.connection.alias)
        .exists()
    ):
        from warehouse.services.marts import refresh_marts

        refresh_marts(None)


def drop(apps, schema_editor):
    drop_database_views(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("warehouse", "0006_fact_install"),
        ("djstripe", "0003_2_11"),
    ]

    operations = [
        migrations.RunPython(create, drop, elidable=False),
        migrations.RunPython(refresh_marts_in_full, migrations.RunPython.noop, elidable=False),
    ]
