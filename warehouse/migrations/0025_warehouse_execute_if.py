"""warehouse_execute_if(condition, statement): the MRR refresh runs its large statements only
when they have work (warehouse/sql/functions/warehouse_execute_if.sql; issue 13)."""

from django.db import migrations

from warehouse import sql_files

# Frozen at migration time: a later change of the function comes with its own migration.
CREATE_FUNCTION = sql_files.load("functions/warehouse_execute_if")


class Migration(migrations.Migration):
    dependencies = [
        ("warehouse", "0024_mrr_subscription_state"),
    ]

    operations = [
        migrations.RunSQL(
            CREATE_FUNCTION,
            "drop function if exists warehouse_execute_if(boolean, text)",
        ),
    ]
