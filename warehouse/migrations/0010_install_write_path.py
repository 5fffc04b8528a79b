"""The install write path without what it paid for but never used (issue 17).

- No database foreign keys on fact_install, fact_user_acquisition and fact_install_day: the
  install load takes every key from a join with its dimension in the same statement, and the
  deferred checks cost each new install several index probes at commit.
- fact_user_acquisition.install_id is no longer unique (an install has one user, so it is the
  first install of one user at most: the user_id key says it) nor indexed.
- fact_install drops its single-column indexes on user_id, date_sk, client_id and channel_id
  (user_id and channel_id lead fact_install_user_first_idx and fact_install_channel_idx) and
  fact_install_day_idx (the day x channel x client counts are fact_install_day's).
- The varchar_pattern_ops (`_like`) twins of the keys of fact_install (install_id) and
  fact_user_acquisition (user_id, install_id) go too: nothing filters them with LIKE. (It runs
  last: by then the AlterField of fact_install.user_id has dropped that column's own twin.)
"""

import django.db.models.deletion
from django.db import migrations, models

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
        where table_class.relname in ('fact_install', 'fact_user_acquisition')
            and opclass.opcname = 'varchar_pattern_ops'
    loop
        execute format('drop index %I', index_name);
    end loop;
end
$$
"""
CREATE_LIKE_INDEXES = """
create index fact_install_install_id_like on fact_install (install_id varchar_pattern_ops);
create index fact_user_acquisition_user_id_like
    on fact_user_acquisition (user_id varchar_pattern_ops);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("warehouse", "0009_subscriptions_mrr"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="factinstall",
            name="fact_install_day_idx",
        ),
        migrations.AlterField(
            model_name="factinstall",
            name="channel",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="installs",
                to="warehouse.dimchannel",
            ),
        ),
        migrations.AlterField(
            model_name="factinstall",
            name="client",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="installs",
                to="warehouse.dimclient",
            ),
        ),
        migrations.AlterField(
            model_name="factinstall",
            name="date",
            field=models.ForeignKey(
                db_column="date_sk",
                db_constraint=False,
                db_index=False,
                help_text="Day of installed_at in the reporting time zone.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="installs",
                to="warehouse.dimdate",
            ),
        ),
        migrations.AlterField(
            model_name="factinstall",
            name="user_id",
            field=models.CharField(max_length=255),
        ),
        migrations.AlterField(
            model_name="factinstallday",
            name="channel",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="warehouse.dimchannel",
            ),
        ),
        migrations.AlterField(
            model_name="factinstallday",
            name="client",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="warehouse.dimclient",
            ),
        ),
        migrations.AlterField(
            model_name="factinstallday",
            name="date",
            field=models.ForeignKey(
                db_column="date_sk",
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="warehouse.dimdate",
            ),
        ),
        migrations.AlterField(
            model_name="factuseracquisition",
            name="channel",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="acquisitions",
                to="warehouse.dimchannel",
            ),
        ),
        migrations.AlterField(
            model_name="factuseracquisition",
            name="client",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="acquisitions",
                to="warehouse.dimclient",
            ),
        ),
        migrations.AlterField(
            model_name="factuseracquisition",
            name="date",
            field=models.ForeignKey(
                db_column="date_sk",
                db_constraint=False,
                db_index=False,
                help_text="Day of installed_at in the reporting time zone.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="acquisitions",
                to="warehouse.dimdate",
            ),
        ),
        migrations.AlterField(
            model_name="factuseracquisition",
            name="install",
            field=models.ForeignKey(
                db_column="install_id",
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="acquisitions",
                to="warehouse.factinstall",
            ),
        ),
        migrations.RunSQL(DROP_LIKE_INDEXES, reverse_sql=CREATE_LIKE_INDEXES),
    ]
