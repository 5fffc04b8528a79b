"""Index-backed customer search (issue 17): the search read every customer (`email ilike
'%…%'`, 142 ms at a million charges). It now matches the beginning of the email, of the
email's domain or of the name, case-insensitive, each an index range over one of these
expression indexes (text_pattern_ops, so LIKE 'prefix%' uses them whatever the database's
collation). pg_trgm, which would index "anywhere in the email", is not in the embedded server.
In SQL: Django's OpClass needs django.contrib.postgres, which the project does not install.
"""

from django.db import migrations

INDEXES = {
    "dim_customer_email_prefix": "lower(email)",
    "dim_customer_domain_prefix": "split_part(lower(email), '@', 2)",
    "dim_customer_name_prefix": "lower(name)",
}


class Migration(migrations.Migration):
    dependencies = [
        ("warehouse", "0016_day_mart"),
    ]

    operations = [
        migrations.RunSQL(
            f"create index {name} on dim_customer (({expression}) text_pattern_ops)",
            f"drop index {name}",
        )
        for name, expression in INDEXES.items()
    ] + [
        # statistics of the indexed expressions: without them the planner guesses 50 matches
        # per condition and joins by a scan of every customer
        migrations.RunSQL("analyze dim_customer", migrations.RunSQL.noop),
    ]
