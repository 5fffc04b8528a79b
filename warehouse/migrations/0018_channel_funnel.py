"""The channel funnel as a mart (issue 17): fact_channel_funnel_day (first installs, paying
customers and net revenue per day of the first install x channel x OS), with fact_funnel_user
(the cell each user is counted in) and fact_funnel_customer (what each customer adds), kept
by both the install write paths and the payments change set (warehouse.services.marts); and
MRR by channel: fact_channel_mrr_day (MRR and customers-with-MRR changes per day x channel of
the first install) with fact_mrr_channel_customer (what each customer adds).

Filled here from fact_user_acquisition, dim_client, dim_customer and fact_customer_lifetime
(frozen SQL below: the result of the marts' full forms). Their text keys' varchar_pattern_ops
(`_like`) twins go in 0016 (Django creates them at the end of this migration).
"""

import django.contrib.postgres.fields
import django.db.models.deletion
from django.db import migrations, models

FILL_FUNNEL = """
insert into fact_funnel_user (user_id, date_sk, channel_id, os_name)
select acquisition.user_id, acquisition.date_sk, acquisition.channel_id, client.os_name
from fact_user_acquisition as acquisition
inner join dim_client as client on client.client_sk = acquisition.client_id
order by acquisition.user_id;

insert into fact_funnel_customer (customer_id, user_id, paying, net_revenue)
select
    lifetime.customer_id,
    customer.user_id,
    lifetime.first_payment_month is not null,
    lifetime.total_net
from fact_customer_lifetime as lifetime
inner join dim_customer as customer on customer.stripe_id = lifetime.customer_id
where customer.user_id is not null
order by lifetime.customer_id;

insert into fact_channel_funnel_day (
    date_sk, channel_id, os_name, users, paying_customers, net_revenue
)
select
    counted_user.date_sk,
    counted_user.channel_id,
    counted_user.os_name,
    count(*)::integer,
    coalesce(sum(user_customers.paying_customers), 0)::integer,
    coalesce(sum(user_customers.net_revenue), 0)::bigint
from fact_funnel_user as counted_user
left join (
    select
        counted.user_id,
        count(*) filter (where counted.paying) as paying_customers,
        sum(counted.net_revenue) as net_revenue
    from fact_funnel_customer as counted
    group by counted.user_id
) as user_customers on user_customers.user_id = counted_user.user_id
group by counted_user.date_sk, counted_user.channel_id, counted_user.os_name
order by counted_user.date_sk, counted_user.channel_id, counted_user.os_name;

with customer_movements as (
    select
        movement.customer_id,
        movement.date,
        movement.mrr_after - coalesce(lag(movement.mrr_after) over customer_days, 0) as mrr_change,
        (movement.mrr_after > 0)::integer
        - (coalesce(lag(movement.mrr_after) over customer_days, 0) > 0)::integer as customers_change
    from fact_mrr_movement as movement
    window customer_days as (partition by movement.customer_id order by movement.date)
)
insert into fact_mrr_channel_customer (customer_id, user_id, dates, mrr_changes, customers_changes)
select
    customer_movements.customer_id,
    customer.user_id,
    array_agg(customer_movements.date order by customer_movements.date),
    array_agg(customer_movements.mrr_change order by customer_movements.date),
    array_agg(customer_movements.customers_change order by customer_movements.date)
from customer_movements
inner join dim_customer as customer on customer.stripe_id = customer_movements.customer_id
group by customer_movements.customer_id, customer.user_id
order by customer_movements.customer_id;

insert into fact_channel_mrr_day (date, channel_id, mrr_change, customers_change)
select
    days.date,
    coalesce(counted_user.channel_id, 0),
    sum(days.mrr_change)::bigint,
    sum(days.customers_change)::integer
from fact_mrr_channel_customer as counted
cross join lateral unnest(counted.dates, counted.mrr_changes, counted.customers_changes)
    as days (date, mrr_change, customers_change)
left join fact_funnel_user as counted_user on counted_user.user_id = counted.user_id
group by days.date, coalesce(counted_user.channel_id, 0)
order by days.date, coalesce(counted_user.channel_id, 0);

analyze fact_funnel_user, fact_funnel_customer, fact_channel_funnel_day, fact_mrr_channel_customer,
    fact_channel_mrr_day;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("warehouse", "0017_customer_search_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="FactFunnelUser",
            fields=[
                ("user_id", models.CharField(max_length=255, primary_key=True, serialize=False)),
                ("date_sk", models.IntegerField()),
                ("channel_id", models.IntegerField()),
                ("os_name", models.CharField(max_length=64)),
            ],
            options={
                "verbose_name": "funnel user",
                "db_table": "fact_funnel_user",
                "ordering": ["user_id"],
            },
        ),
        migrations.CreateModel(
            name="FactChannelMrrDay",
            fields=[
                ("channel_mrr_day_sk", models.BigAutoField(primary_key=True, serialize=False)),
                ("date", models.DateField()),
                (
                    "channel_id",
                    models.IntegerField(
                        help_text="dim_channel.channel_sk; 0: no attributed install."
                    ),
                ),
                ("mrr_change", models.BigIntegerField(default=0)),
                ("customers_change", models.IntegerField(default=0)),
            ],
            options={
                "verbose_name": "channel MRR day",
                "db_table": "fact_channel_mrr_day",
                "ordering": ["date", "channel_id"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("date", "channel_id"), name="fact_channel_mrr_day_uniq"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="FactFunnelCustomer",
            fields=[
                (
                    "customer_id",
                    models.CharField(max_length=255, primary_key=True, serialize=False),
                ),
                ("user_id", models.CharField(max_length=255)),
                ("paying", models.BooleanField()),
                ("net_revenue", models.BigIntegerField()),
            ],
            options={
                "verbose_name": "funnel customer",
                "db_table": "fact_funnel_customer",
                "ordering": ["customer_id"],
                "indexes": [
                    models.Index(
                        fields=["user_id"],
                        include=("paying", "net_revenue"),
                        name="fact_funnel_cust_user_idx",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="FactMrrChannelCustomer",
            fields=[
                (
                    "customer_id",
                    models.CharField(max_length=255, primary_key=True, serialize=False),
                ),
                ("user_id", models.CharField(blank=True, max_length=255, null=True)),
                (
                    "dates",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.DateField(), size=None
                    ),
                ),
                (
                    "mrr_changes",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.BigIntegerField(), size=None
                    ),
                ),
                (
                    "customers_changes",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.IntegerField(), size=None
                    ),
                ),
            ],
            options={
                "verbose_name": "MRR channel customer",
                "db_table": "fact_mrr_channel_customer",
                "ordering": ["customer_id"],
                "indexes": [models.Index(fields=["user_id"], name="fact_mrr_chan_cust_user_idx")],
            },
        ),
        migrations.CreateModel(
            name="FactChannelFunnelDay",
            fields=[
                ("funnel_day_sk", models.BigAutoField(primary_key=True, serialize=False)),
                (
                    "os_name",
                    models.CharField(
                        help_text="dim_client.os_name of the first installs.", max_length=64
                    ),
                ),
                ("users", models.IntegerField(default=0)),
                ("paying_customers", models.IntegerField(default=0)),
                ("net_revenue", models.BigIntegerField(default=0)),
                (
                    "channel",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="warehouse.dimchannel",
                    ),
                ),
                (
                    "date",
                    models.ForeignKey(
                        db_column="date_sk",
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="warehouse.dimdate",
                    ),
                ),
            ],
            options={
                "verbose_name": "channel funnel day",
                "db_table": "fact_channel_funnel_day",
                "ordering": ["date", "channel", "os_name"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("date", "channel", "os_name"), name="fact_channel_funnel_day_uniq"
                    )
                ],
            },
        ),
        migrations.RunSQL(
            FILL_FUNNEL,
            "truncate fact_channel_funnel_day, fact_funnel_user, fact_funnel_customer,"
            " fact_channel_mrr_day, fact_mrr_channel_customer",
        ),
    ]
