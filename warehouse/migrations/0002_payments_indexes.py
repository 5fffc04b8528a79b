"""Indexes on dj-stripe's tables for the payments sync.

- dim_payment_method keeps a detached payment method's former customer; the upsert reads it
  from dj-stripe's `payment_method.detached` events, which this partial index makes cheap.
- rebuild_warehouse (`--since`, and its progress chunks) selects charges and refunds by
  creation time.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("warehouse", "0001_initial"),
        ("djstripe", "0003_2_11"),
    ]

    operations = [
        migrations.RunSQL(
            sql=(
                "create index if not exists warehouse_djstripe_event_pm_detached_idx "
                "on djstripe_event ((data -> 'object' ->> 'id')) "
                "where type = 'payment_method.detached'"
            ),
            reverse_sql="drop index if exists warehouse_djstripe_event_pm_detached_idx",
        ),
        migrations.RunSQL(
            sql="create index if not exists warehouse_djstripe_charge_created_idx on djstripe_charge (created)",
            reverse_sql="drop index if exists warehouse_djstripe_charge_created_idx",
        ),
        migrations.RunSQL(
            sql="create index if not exists warehouse_djstripe_refund_created_idx on djstripe_refund (created)",
            reverse_sql="drop index if exists warehouse_djstripe_refund_created_idx",
        ),
    ]
