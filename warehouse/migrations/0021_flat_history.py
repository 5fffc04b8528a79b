"""Pages whose cost does not grow with history (issue 17): the day-grain MRR marts
(mart_mrr_day and mart_mrr_price_day) and a covering index for a day's installs.

The MRR page's daily MRR (last 90 days), its current month's movements and home's MRR figure
read the range's or the current month's fact_mrr_movement rows, and MRR by plan the current
month's fact_mrr_change rows: their number follows the subscriptions. mart_mrr_day holds the
movements per day × type and mart_mrr_price_day the changes per day × price, so those reads
are a few rows per day. Created and filled here (frozen SQL below, the same sums as the
deltas in warehouse/sql/facts/fact_mrr_movement.sql and fact_mrr_change.sql and their full
forms after mrr_day_clear), and kept from then on by those two statements in the MRR flush's
transaction.

fact_install_at_idx becomes fact_install_at_user_idx, the same key with user_id included: the
channels page's duplicate installs (a day's installs per user) read it alone instead of one
heap page per install of the day (about 115 at 100,000 charges, thousands at 3,000,000).
"""

from django.db import migrations, models

# The mart's full form as of this migration: every movement, per day and type; a customer
# counts in month_first_customers on the day of their first movement of the type in the month.
FILL_MRR_DAYS = """
insert into mart_mrr_day (date, movement_type, amount, movements, month_first_customers)
with flagged_movements as (
    select
        movement.date,
        movement.movement_type,
        movement.amount,
        movement.date = min(movement.date) over (
            partition by movement.customer_id, movement.month, movement.movement_type
        ) as month_first
    from fact_mrr_movement as movement
)
select
    flagged_movements.date,
    flagged_movements.movement_type,
    sum(flagged_movements.amount),
    count(*),
    count(*) filter (where flagged_movements.month_first)
from flagged_movements
group by flagged_movements.date, flagged_movements.movement_type
order by flagged_movements.date, flagged_movements.movement_type
"""

# As mart_mrr_price_month's, per day: a change moves a subscription into the price's count
# when its MRR at the price goes from <= 0 to > 0 (mrr_after - amount is the MRR before).
FILL_MRR_PRICE_DAYS = """
insert into mart_mrr_price_day (date, price_id, mrr_change, subscriptions_change)
select
    change.date,
    change.price_id,
    sum(change.amount),
    count(*) filter (where change.mrr_after > 0 and change.mrr_after - change.amount <= 0)
    - count(*) filter (where change.mrr_after <= 0 and change.mrr_after - change.amount > 0)
from fact_mrr_change as change
group by change.date, change.price_id
order by change.date, change.price_id
"""


class Migration(migrations.Migration):
    dependencies = [
        ("warehouse", "0020_invoice_line_store"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="factinstall", name="fact_install_at_idx"),
        migrations.AddIndex(
            model_name="factinstall",
            index=models.Index(
                fields=["installed_at"], include=("user_id",), name="fact_install_at_user_idx"
            ),
        ),
        migrations.CreateModel(
            name="MartMrrDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("date", models.DateField()),
                ("movement_type", models.CharField(max_length=16)),
                ("amount", models.BigIntegerField()),
                ("movements", models.IntegerField()),
                ("month_first_customers", models.IntegerField()),
            ],
            options={
                "verbose_name": "MRR day",
                "db_table": "mart_mrr_day",
                "ordering": ["date", "movement_type"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("date", "movement_type"), name="mart_mrr_day_uniq"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="MartMrrPriceDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("date", models.DateField()),
                ("price_id", models.CharField(max_length=255)),
                ("mrr_change", models.BigIntegerField()),
                ("subscriptions_change", models.IntegerField()),
            ],
            options={
                "verbose_name": "MRR price day",
                "db_table": "mart_mrr_price_day",
                "ordering": ["date", "price_id"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("date", "price_id"), name="mart_mrr_price_day_uniq"
                    )
                ],
            },
        ),
        migrations.RunSQL(FILL_MRR_DAYS, reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL(FILL_MRR_PRICE_DAYS, reverse_sql=migrations.RunSQL.noop),
    ]
