"""Drop the varchar_pattern_ops (`_like`) twins Django created for the text keys of the
channel funnel's tables in 0015 (at the end of that migration, so after any statement of its
own): nothing filters them with LIKE, and the install path inserts into fact_funnel_user for
every new user, which paid for a second B-tree insertion.
"""

from django.db import migrations

# Django names these indexes with a hash: find them by table and operator class.
DROP_LIKE_INDEXES = """
do $$
declare
    index_name text;
begin
    for index_name in
        select index_class.relname
        from pg_index as ix
        inner join pg_class as index_class on index_class.oid = ix.indexrelid
        inner join pg_class as table_class on table_class.oid = ix.indrelid
        inner join pg_opclass as opclass on opclass.oid = ix.indclass[0]
        where table_class.relname in (
            'fact_funnel_user', 'fact_funnel_customer', 'fact_mrr_channel_customer'
        )
            and opclass.opcname = 'varchar_pattern_ops'
    loop
        execute format('drop index %I', index_name);
    end loop;
end
$$
"""


class Migration(migrations.Migration):
    dependencies = [
        ("warehouse", "0018_channel_funnel"),
    ]

    operations = [
        migrations.RunSQL(DROP_LIKE_INDEXES, migrations.RunSQL.noop),
    ]
