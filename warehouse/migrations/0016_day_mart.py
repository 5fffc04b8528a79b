"""The day-grain payments mart (issue 17): fact_customer_day and fact_day.

Home compares the current month to date with the same days of the previous month; those
figures (and every month's refunds and disputes) were read from every movement of those
days in fact_transaction, a cost that grows with the charges per month. fact_day holds the
business per day, so a month or its first n days is a sum of at most 31 rows;
fact_customer_day is the stored version per customer that its delta subtracts. Both are
created and filled here (frozen SQL below, as the mart's full form fills them) and kept from
then on by warehouse/sql/marts/fact_customer_day.sql.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# The mart's full form (warehouse/sql/marts/fact_customer_day.sql) as of this migration.
FILL_CUSTOMER_DAYS = """
insert into fact_customer_day (
    customer_id, day, gross, charge_count, charge_fees, failed_charge_count, refund_count,
    refunded, refund_fees, disputes_opened, disputes_won, disputes_lost,
    dispute_funds_withdrawn, dispute_funds_reinstated, dispute_fees,
    first_payment_of_month, first_payment
)
with customer_day_totals as (
    select
        txn.customer_id,
        (txn.occurred_at at time zone %(time_zone)s)::date as day,
        coalesce(sum(coalesce(txn.settlement_amount, txn.amount)) filter (
            where txn.transaction_type = 'charge' and txn.status = 'succeeded'
        ), 0) as gross,
        count(*) filter (
            where txn.transaction_type = 'charge' and txn.status = 'succeeded'
        ) as charge_count,
        coalesce(sum(coalesce(txn.fee, 0)) filter (
            where txn.transaction_type = 'charge' and txn.status = 'succeeded'
        ), 0) as charge_fees,
        count(*) filter (
            where txn.transaction_type = 'charge' and txn.status = 'failed'
        ) as failed_charge_count,
        count(*) filter (where txn.transaction_type = 'refund') as refund_count,
        coalesce(-sum(coalesce(txn.settlement_amount, txn.amount)) filter (
            where txn.transaction_type = 'refund'
        ), 0) as refunded,
        coalesce(sum(coalesce(txn.fee, 0)) filter (
            where txn.transaction_type = 'refund'
        ), 0) as refund_fees,
        count(*) filter (where txn.transaction_type = 'dispute_withdrawal') as disputes_opened,
        count(*) filter (
            where txn.transaction_type = 'dispute_withdrawal' and txn.status = 'won'
        ) as disputes_won,
        count(*) filter (
            where txn.transaction_type = 'dispute_withdrawal' and txn.status = 'lost'
        ) as disputes_lost,
        coalesce(-sum(coalesce(txn.settlement_amount, txn.amount)) filter (
            where txn.transaction_type = 'dispute_withdrawal'
        ), 0) as dispute_funds_withdrawn,
        coalesce(sum(coalesce(txn.settlement_amount, txn.amount)) filter (
            where txn.transaction_type = 'dispute_reinstatement'
        ), 0) as dispute_funds_reinstated,
        coalesce(sum(coalesce(txn.fee, 0)) filter (
            where txn.transaction_type in ('dispute_withdrawal', 'dispute_reinstatement')
        ), 0) as dispute_fees
    from fact_transaction as txn
    where txn.customer_id is not null
    group by txn.customer_id, (txn.occurred_at at time zone %(time_zone)s)::date
)
select
    customer_id, day, gross, charge_count, charge_fees, failed_charge_count, refund_count,
    refunded, refund_fees, disputes_opened, disputes_won, disputes_lost,
    dispute_funds_withdrawn, dispute_funds_reinstated, dispute_fees,
    coalesce(day = min(day) filter (where charge_count > 0) over (
        partition by customer_id, date_trunc('month', day)
    ), false),
    coalesce(day = min(day) filter (where charge_count > 0) over (partition by customer_id), false)
from customer_day_totals
order by customer_id, day
"""

FILL_DAYS = """
insert into fact_day (
    day, gross, charge_count, charge_fees, failed_charge_count, refund_count, refunded,
    refund_fees, disputes_opened, disputes_won, disputes_lost, dispute_funds_withdrawn,
    dispute_funds_reinstated, dispute_fees, paying_customers, new_customers
)
select
    day, sum(gross), sum(charge_count), sum(charge_fees), sum(failed_charge_count),
    sum(refund_count), sum(refunded), sum(refund_fees), sum(disputes_opened),
    sum(disputes_won), sum(disputes_lost), sum(dispute_funds_withdrawn),
    sum(dispute_funds_reinstated), sum(dispute_fees),
    count(*) filter (where first_payment_of_month), count(*) filter (where first_payment)
from fact_customer_day
group by day
order by day
"""


def fill(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        # the days of the reporting time zone, as the marts take them
        cursor.execute(FILL_CUSTOMER_DAYS, {"time_zone": settings.TIME_ZONE})
        cursor.execute(FILL_DAYS)
        cursor.execute("analyze fact_customer_day")
        cursor.execute("analyze fact_day")


def empty(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("truncate fact_day, fact_customer_day")


class Migration(migrations.Migration):
    dependencies = [
        ("warehouse", "0015_proration_discounts_view"),
    ]

    operations = [
        migrations.CreateModel(
            name="FactDay",
            fields=[
                ("day", models.DateField(primary_key=True, serialize=False)),
                ("gross", models.BigIntegerField(default=0)),
                ("charge_count", models.IntegerField(default=0, help_text="Succeeded charges.")),
                ("charge_fees", models.BigIntegerField(default=0)),
                ("failed_charge_count", models.IntegerField(default=0)),
                ("refund_count", models.IntegerField(default=0)),
                ("refunded", models.BigIntegerField(default=0)),
                ("refund_fees", models.BigIntegerField(default=0)),
                ("disputes_opened", models.IntegerField(default=0)),
                ("disputes_won", models.IntegerField(default=0)),
                ("disputes_lost", models.IntegerField(default=0)),
                ("dispute_funds_withdrawn", models.BigIntegerField(default=0)),
                ("dispute_funds_reinstated", models.BigIntegerField(default=0)),
                ("dispute_fees", models.BigIntegerField(default=0)),
                (
                    "paying_customers",
                    models.IntegerField(
                        default=0,
                        help_text="Customers whose first succeeded charge of the month is this day.",
                    ),
                ),
                (
                    "new_customers",
                    models.IntegerField(
                        default=0,
                        help_text="Customers whose first succeeded charge ever is this day.",
                    ),
                ),
            ],
            options={
                "verbose_name": "day",
                "db_table": "fact_day",
                "ordering": ["day"],
            },
        ),
        migrations.CreateModel(
            name="FactCustomerDay",
            fields=[
                ("customer_day_sk", models.BigAutoField(primary_key=True, serialize=False)),
                ("day", models.DateField()),
                ("gross", models.BigIntegerField(default=0, help_text="Succeeded charges.")),
                ("charge_count", models.IntegerField(default=0, help_text="Succeeded charges.")),
                (
                    "charge_fees",
                    models.BigIntegerField(default=0, help_text="Fees on succeeded charges."),
                ),
                ("failed_charge_count", models.IntegerField(default=0)),
                ("refund_count", models.IntegerField(default=0)),
                ("refunded", models.BigIntegerField(default=0)),
                ("refund_fees", models.BigIntegerField(default=0)),
                (
                    "disputes_opened",
                    models.IntegerField(default=0, help_text="Funds withdrawn this day."),
                ),
                (
                    "disputes_won",
                    models.IntegerField(default=0, help_text="Of those opened, now won."),
                ),
                (
                    "disputes_lost",
                    models.IntegerField(default=0, help_text="Of those opened, now lost."),
                ),
                ("dispute_funds_withdrawn", models.BigIntegerField(default=0)),
                ("dispute_funds_reinstated", models.BigIntegerField(default=0)),
                ("dispute_fees", models.BigIntegerField(default=0)),
                (
                    "first_payment_of_month",
                    models.BooleanField(
                        default=False,
                        help_text="The customer's first succeeded charge of the month is this day.",
                    ),
                ),
                (
                    "first_payment",
                    models.BooleanField(
                        default=False,
                        help_text="The customer's first succeeded charge ever is this day.",
                    ),
                ),
                (
                    "customer",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="days",
                        to="warehouse.dimcustomer",
                    ),
                ),
            ],
            options={
                "verbose_name": "customer day",
                "db_table": "fact_customer_day",
                "ordering": ["day", "customer"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("customer", "day"), name="fact_customer_day_uniq"
                    )
                ],
            },
        ),
        migrations.RunPython(fill, empty),
    ]
