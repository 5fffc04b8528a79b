"""stg_stripe__invoice_lines reads the discount Stripe folds into a proration's amount
(`proration_discounts = included`, the default) from the line's invoice item
(`proration_details.discount_amounts`) and presents the line in the itemized form: gross
amount, the discount in discount_amount (issue 13; docs/metrics.md "A line's MRR"). Same
columns and types: `create or replace view`."""

from django.db import migrations

from warehouse import sql_files

# From the current file (as 0009 and 0013 do); the reverse keeps it: the earlier definition
# differs only for included-form proration lines.
CREATE_VIEW = sql_files.load("staging/stg_stripe__invoice_lines")


class Migration(migrations.Migration):
    dependencies = [
        ("warehouse", "0014_fact_transaction_covering_indexes"),
    ]

    operations = [
        migrations.RunSQL(CREATE_VIEW, reverse_sql=migrations.RunSQL.noop),
    ]
