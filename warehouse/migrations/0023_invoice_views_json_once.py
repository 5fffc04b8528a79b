"""The billing staging views decompress each invoice's JSON once: stg_stripe__invoices read
the stored (TOAST-compressed) `stripe_data` about ten times per invoice and
stg_stripe__invoice_lines three times, and PostgreSQL decompresses it again at each reference
(the rebuild's invoice_line_store.sql spent most of its time there; issue 17,
docs/benchmarks.md). Same columns, same rows: `create or replace view`."""

from django.db import migrations

from warehouse import sql_files

VIEWS = ["stg_stripe__invoices", "stg_stripe__invoice_lines"]

# The views read from their current files (as 0009 and 0013 do); the reverse keeps them: the
# earlier definitions return the same rows, only slower.
CREATE_VIEWS = ";\n".join(sql_files.load(f"staging/{name}") for name in VIEWS)


class Migration(migrations.Migration):
    dependencies = [
        ("warehouse", "0022_install_import_indexes"),
    ]

    operations = [
        migrations.RunSQL(CREATE_VIEWS, reverse_sql=migrations.RunSQL.noop),
    ]
