"""The install import's write path (issue 17):

- drop fact_install's (channel, client) index: only the admin's list filters read installs
  by channel or client (the reports count installs from fact_install_day), and every new
  install paid a B-tree insertion into it;
- fillfactor 50 on the two day-grain cell tables that every import batch increments,
  fact_install_day and fact_channel_funnel_day: with room left on each page an increment is a
  HOT update (a new row version on the same page, no index insertion), where full pages moved
  every updated cell to another page and inserted it into both of its indexes again. The
  setting applies to pages written from now on (the next full refresh rewrites them all;
  until then the first increment of a cell moves it to a page with room).
"""

from django.db import migrations

CELL_TABLES = ("fact_install_day", "fact_channel_funnel_day")


class Migration(migrations.Migration):
    dependencies = [
        ("warehouse", "0021_flat_history"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="factinstall", name="fact_install_channel_idx"),
        *(
            migrations.RunSQL(
                f"alter table {table} set (fillfactor = 50)",
                f"alter table {table} reset (fillfactor)",
            )
            for table in CELL_TABLES
        ),
    ]
