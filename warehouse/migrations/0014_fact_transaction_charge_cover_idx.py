"""fact_txn_charge_cover_idx: charges by time, covering the columns that month_movements.sql
sums for months to date (the home page's comparison with the same days of last month), so
that comparison is an index-only scan instead of one heap page per charge (issue 17;
docs/benchmarks.md, "Issue 17: pages at scale")."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("warehouse", "0013_mrr_delta_views"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="facttransaction",
            index=models.Index(
                condition=models.Q(("transaction_type", "charge")),
                fields=["occurred_at"],
                include=("customer", "status", "settlement_amount", "amount", "fee"),
                name="fact_txn_charge_cover_idx",
            ),
        ),
    ]
