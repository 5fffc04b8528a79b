"""Covering indexes on fact_transaction for month_movements.sql (issue 17; docs/benchmarks.md,
"Issue 17: pages at scale"): a month's movements lie on about as many heap pages as there are
movements, so reading them through a plain index costs one page per row.

- fact_txn_charge_cover_idx: charges by time with the columns summed for months to date (the
  home page's comparison with the same days of last month).
- fact_txn_non_charge_cover_idx replaces fact_txn_non_charge_idx (same key and condition) and
  adds the columns the refunds and disputes of the overview and home pages sum.
Both are read by index-only scans once autovacuum has marked the pages all-visible."""

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
        migrations.AddIndex(
            model_name="facttransaction",
            index=models.Index(
                condition=models.Q(("transaction_type", "charge"), _negated=True),
                fields=["occurred_at"],
                include=(
                    "transaction_type",
                    "stripe_id",
                    "status",
                    "customer",
                    "settlement_amount",
                    "amount",
                    "fee",
                ),
                name="fact_txn_non_charge_cover_idx",
            ),
        ),
        migrations.RemoveIndex(
            model_name="facttransaction",
            name="fact_txn_non_charge_idx",
        ),
    ]
