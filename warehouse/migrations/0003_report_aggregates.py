"""Report aggregates: fact_month, fact_cohort_month, fact_follow_month, fact_customer_lifetime; indexes
for install counts per day, channel and client and for each user's first install (the channel
reports).

Migration 0004 fills them on a database that already holds customer months.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("warehouse", "0002_payments_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="FactMonth",
            fields=[
                (
                    "month",
                    models.DateField(
                        help_text="First day of the month.", primary_key=True, serialize=False
                    ),
                ),
                ("paying_customers", models.IntegerField(default=0)),
                ("new_customers", models.IntegerField(default=0)),
                ("retained_customers", models.IntegerField(default=0)),
                ("returning_customers", models.IntegerField(default=0)),
                ("churned_customers", models.IntegerField(default=0)),
                ("gross", models.BigIntegerField(default=0)),
                ("refunds", models.BigIntegerField(default=0)),
                ("disputes", models.BigIntegerField(default=0)),
                ("net", models.BigIntegerField(default=0)),
                ("fees", models.BigIntegerField(default=0)),
                ("charge_count", models.IntegerField(default=0, help_text="Succeeded charges.")),
                ("failed_charge_count", models.IntegerField(default=0)),
            ],
            options={
                "verbose_name": "month",
                "db_table": "fact_month",
                "ordering": ["month"],
            },
        ),
        migrations.CreateModel(
            name="FactCohortMonth",
            fields=[
                ("cohort_month_sk", models.BigAutoField(primary_key=True, serialize=False)),
                (
                    "cohort_month",
                    models.DateField(help_text="First day of the cohort's first-payment month."),
                ),
                ("month", models.DateField(help_text="First day of the activity month.")),
                ("paying_customers", models.IntegerField(default=0)),
                ("net", models.BigIntegerField(default=0)),
            ],
            options={
                "verbose_name": "cohort month",
                "db_table": "fact_cohort_month",
                "ordering": ["cohort_month", "month"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("cohort_month", "month"), name="fact_cohort_month_uniq"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="FactCustomerLifetime",
            fields=[
                (
                    "customer",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="lifetime",
                        serialize=False,
                        to="warehouse.dimcustomer",
                    ),
                ),
                ("first_payment_month", models.DateField(blank=True, null=True)),
                ("last_payment_month", models.DateField(blank=True, null=True)),
                ("last_activity_month", models.DateField()),
                ("active_months", models.IntegerField(default=0)),
                ("total_net", models.BigIntegerField(default=0)),
            ],
            options={
                "verbose_name": "customer lifetime",
                "db_table": "fact_customer_lifetime",
                "ordering": ["customer"],
                "indexes": [
                    models.Index(fields=["last_payment_month"], name="fact_cl_last_payment_idx"),
                    models.Index(fields=["last_activity_month"], name="fact_cl_last_activity_idx"),
                    models.Index(fields=["-total_net", "customer"], name="fact_cl_total_net_idx"),
                ],
            },
        ),
        migrations.CreateModel(
            name="FactFollowMonth",
            fields=[
                ("follow_month_sk", models.BigAutoField(primary_key=True, serialize=False)),
                (
                    "paid_month",
                    models.DateField(help_text="First day of the month the customers paid in."),
                ),
                (
                    "month",
                    models.DateField(help_text="First day of the activity month (>= paid_month)."),
                ),
                ("paying_customers", models.IntegerField(default=0)),
                ("net", models.BigIntegerField(default=0)),
            ],
            options={
                "verbose_name": "followed month",
                "db_table": "fact_follow_month",
                "ordering": ["paid_month", "month"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("paid_month", "month"), name="fact_follow_month_uniq"
                    )
                ],
            },
        ),
        migrations.AddIndex(
            model_name="factuserfirstinstall",
            index=models.Index(fields=["date", "channel", "client"], name="fact_install_day_idx"),
        ),
        migrations.AddIndex(
            model_name="factuserfirstinstall",
            index=models.Index(
                fields=["user_id", "installed_at", "install_id"],
                include=["channel"],
                name="fact_install_user_first_idx",
            ),
        ),
    ]
