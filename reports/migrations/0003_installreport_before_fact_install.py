"""Drop the InstallReport proxy from the migration state before warehouse.0006 renames its
base (FactUserFirstInstall -> FactInstall): RenameModel does not follow a proxy's bases in
another app, so the state could not be rendered. A proxy has no table; nothing in the
database changes. 0004 recreates it on FactInstall."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_managers_group"),
    ]
    run_before = [
        ("warehouse", "0006_fact_install"),
    ]

    operations = [
        migrations.DeleteModel(name="InstallReport"),
    ]
