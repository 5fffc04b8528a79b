"""Report pages whose cost does not grow with history (issue 17).

- fact_install_day at day × channel × OS instead of day × channel × client. By client (OS,
  app, version, device name) the table held about one row per install, so the channel
  reports' install counts grew with installs; by OS it grows with days only. The rows are
  refilled from fact_install (frozen SQL below, as the mart's full form fills them).
- fact_last_payment_month: paying customers per (last paying month, last activity month),
  which the LTV page's customer count sums instead of reading every customer; filled from
  fact_customer_lifetime (kept from then on by the fact_customer_lifetime mart statement).
"""

from django.db import migrations, models

# The mart's full form (warehouse/sql/marts/fact_install_day.sql) as of this migration.
FILL_INSTALL_DAY_BY_OS = """
insert into fact_install_day (date_sk, channel_id, os_name, installs)
select install.date_sk, install.channel_id, client.os_name, count(*)::integer
from fact_install as install
inner join dim_client as client on client.client_sk = install.client_id
group by install.date_sk, install.channel_id, client.os_name
order by install.date_sk, install.channel_id, client.os_name
"""

FILL_LAST_PAYMENT_MONTH = """
insert into fact_last_payment_month (last_payment_month, last_activity_month, customers)
select lifetime.last_payment_month, lifetime.last_activity_month, count(*)::integer
from fact_customer_lifetime as lifetime
where lifetime.last_payment_month is not null
group by lifetime.last_payment_month, lifetime.last_activity_month
order by lifetime.last_payment_month, lifetime.last_activity_month
"""

# Backwards: the client grain of 0005.
FILL_INSTALL_DAY_BY_CLIENT = """
insert into fact_install_day (date_sk, channel_id, client_id, installs)
select install.date_sk, install.channel_id, install.client_id, count(*)::integer
from fact_install as install
group by install.date_sk, install.channel_id, install.client_id
order by install.date_sk, install.channel_id, install.client_id
"""


class Migration(migrations.Migration):
    dependencies = [
        ("warehouse", "0011_mrr_price_month"),
    ]

    operations = [
        migrations.RunSQL("truncate fact_install_day", FILL_INSTALL_DAY_BY_CLIENT),
        migrations.AlterModelOptions(
            name="factinstallday",
            options={"ordering": ["date", "channel", "os_name"], "verbose_name": "install day"},
        ),
        migrations.RemoveConstraint(
            model_name="factinstallday",
            name="fact_install_day_uniq",
        ),
        migrations.RemoveField(
            model_name="factinstallday",
            name="client",
        ),
        migrations.AddField(
            model_name="factinstallday",
            name="os_name",
            field=models.CharField(
                default="", help_text="dim_client.os_name of the installs.", max_length=64
            ),
            preserve_default=False,
        ),
        migrations.AddConstraint(
            model_name="factinstallday",
            constraint=models.UniqueConstraint(
                fields=("date", "channel", "os_name"), name="fact_install_day_uniq"
            ),
        ),
        migrations.RunSQL(FILL_INSTALL_DAY_BY_OS, "truncate fact_install_day"),
        migrations.CreateModel(
            name="FactLastPaymentMonth",
            fields=[
                ("last_payment_month_sk", models.BigAutoField(primary_key=True, serialize=False)),
                ("last_payment_month", models.DateField(help_text="First day of the month.")),
                ("last_activity_month", models.DateField(help_text="First day of the month.")),
                ("customers", models.IntegerField(default=0)),
            ],
            options={
                "verbose_name": "customers by last payment month",
                "verbose_name_plural": "customers by last payment month",
                "db_table": "fact_last_payment_month",
                "ordering": ["last_payment_month", "last_activity_month"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("last_payment_month", "last_activity_month"),
                        name="fact_last_payment_month_uniq",
                    )
                ],
            },
        ),
        migrations.RunSQL(FILL_LAST_PAYMENT_MONTH, migrations.RunSQL.noop),
    ]
