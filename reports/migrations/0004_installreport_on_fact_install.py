"""The InstallReport proxy again, now on warehouse.FactInstall (see 0003)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_installreport_before_fact_install"),
        ("warehouse", "0006_fact_install"),
    ]

    operations = [
        migrations.CreateModel(
            name="InstallReport",
            fields=[],
            options={
                "verbose_name": "install report",
                "proxy": True,
                "default_permissions": (),
                "indexes": [],
                "constraints": [],
            },
            bases=("warehouse.factinstall",),
        ),
    ]
