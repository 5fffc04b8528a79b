"""The billing staging views per invoice: stg_stripe__invoices finds an invoice's paid payment
and stg_stripe__invoice_lines expands an invoice's lines in LATERAL subqueries of the invoice
row, so the write path's filter on a customer's invoices reaches djstripe_invoice's indexes
instead of expanding every invoice's JSON (issue 13; docs/benchmarks.md). Same columns, same
rows: `create or replace view`."""

from django.db import migrations

from warehouse import sql_files

VIEWS = ["stg_stripe__invoices", "stg_stripe__invoice_lines"]

# The views read from their current files (as 0009 does); the reverse keeps them: the earlier
# definitions return the same rows, only slower.
CREATE_VIEWS = ";\n".join(sql_files.load(f"staging/{name}") for name in VIEWS)


class Migration(migrations.Migration):
    dependencies = [
        ("warehouse", "0012_pages_at_scale"),
    ]

    operations = [
        migrations.RunSQL(CREATE_VIEWS, reverse_sql=migrations.RunSQL.noop),
    ]
