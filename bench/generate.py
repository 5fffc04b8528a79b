"""Fill the benchmark database at scale: dj-stripe's tables and the warehouse, by COPY.

    .venv/bin/python -m bench.generate                      # 100k customers, 1M charges, 500k
    installs, 100k subscriptions
    .venv/bin/python -m bench.generate --customers 5000 --charges 50000 --installs 25000 \
        --subscriptions 5000

The business is the demo's, drawn by the same generator (devtools/business/generator.py)
and written by its COPY emitter (devtools/business/copy_rows.py): users arriving over the
months through 8 channels (installs growing ~4 % a month, same-day reinstalls, second
devices), a channel-dependent share of them paying in the currency of their country (USD,
EUR, GBP or zero-decimal JPY, settled in USD at a drifting rate with Stripe's fee), ~3 % of
succeeded charges refunded (a third partly), a few disputed (two in five decided ones won).
Only the ids differ (numbered: `cus_bench00000001`), and what the sizes ask for:

- exactly --customers customers (users are drawn until that many have paid) and exactly
  --installs installs (users past that count install nothing the data knows of);
- exactly --charges one-off charges (card payments outside Billing), shared among the
  customers by how long each keeps paying (churn decays with tenure; some come back), a few
  declined;
- about --subscriptions subscriptions (bench/subscriptions.py): the demo's Billing catalog
  and subscription lives, simulated by devtools.billing, written as dj-stripe stores them.

dj-stripe rows are what dj-stripe 2.11's sync stores (the Stripe object in `stripe_data`);
the warehouse rows (dim_customer, dim_payment_method, fact_transaction, fact_install,
dim_client, dim_channel, dim_date) are written from the same objects, and
fact_customer_month and the install aggregates are recomputed by the warehouse's own
set-based services, so the warehouse is what a rebuild from these dj-stripe rows should
give. Rows are written as they are drawn (memory holds the customers, not the charges or
installs); deterministic for a given --seed and end time.
"""

import argparse
import datetime as dt
import time

from bench.db import setup
from bench.subscriptions import BILLING_TABLES, write_subscriptions
from devtools.business.copy_rows import (
    CopyBuffer,
    charge_fact,
    dim_customer_row,
    dim_payment_method_row,
    dispute_facts,
    djstripe_row,
    fact_install_row,
    refund_fact,
)
from devtools.business.generator import BusinessGenerator, SerialIds
from devtools.business.model import CHANNELS
from devtools.business.stripe_objects import (
    apply_outcome,
    customer_object,
    one_off_charge_object,
    payment_method_object,
)
from warehouse.calendar import date_sk, reporting_time_zone

UTC = dt.UTC
DELETED_CUSTOMERS = 0.01  # customers deleted since (dj-stripe keeps them, purged)

WAREHOUSE_TABLES = [
    "mart_mrr_day",
    "mart_mrr_price_day",
    "mart_mrr_price_month",
    "mart_mrr_cohort",
    "mart_mrr_month_movement",
    "mart_mrr_customer_month",
    "fact_mrr_movement",
    "fact_mrr_change",
    "fact_invoice_line",
    "dim_coupon",
    "dim_price",
    "dim_product",
    "fact_user_acquisition",
    "fact_install_day",
    "fact_install",
    "dim_client",
    "dim_channel",
    "fact_customer_month",
    "fact_transaction",
    "dim_payment_method",
    "dim_customer",
]
DJSTRIPE_TABLES = [
    *BILLING_TABLES,
    "djstripe_dispute",
    "djstripe_refund",
    "djstripe_charge",
    "djstripe_balancetransaction",
    "djstripe_paymentmethod",
    "djstripe_customer",
]
# Rows the webhook benchmark leaves behind; cleared so every generated dataset starts clean.
DJSTRIPE_EVENT_TABLES = ["djstripe_webhookeventtrigger", "djstripe_event"]


def _month_start(moment: dt.datetime, months_back: int) -> dt.datetime:
    index = moment.year * 12 + moment.month - 1 - months_back
    return dt.datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


class PayingCustomer:
    """What later steps need of a customer: its record, cards and payment span."""

    __slots__ = ("customer", "cards", "first_payment", "paid_first", "paid_last")

    def __init__(self, customer, cards, first_payment):
        self.customer, self.cards, self.first_payment = customer, cards, first_payment
        self.paid_first = self.paid_last = None

    def paid(self, moment: dt.datetime) -> None:
        if self.paid_first is None or moment < self.paid_first:
            self.paid_first = moment
        if self.paid_last is None or moment > self.paid_last:
            self.paid_last = moment


class Generator:
    def __init__(self, args):
        self.args = args
        self.end = args.end or dt.datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        self.start = _month_start(self.end, args.months - 1)
        self.business = BusinessGenerator(
            seed=args.seed,
            start=self.start,
            end=self.end,
            ids=SerialIds("bench"),
            months=args.months,
            channels=CHANNELS[: args.channels],
        )
        self.zone = reporting_time_zone()
        self.now = dt.datetime.now(UTC)
        self.customers_paying: list[PayingCustomer] = []
        self.counts = {}
        self.copy_seconds = {}

    def _date_sk(self, moment: dt.datetime) -> int:
        return date_sk(moment.astimezone(self.zone))

    def _done(self, *buffers, cursor) -> None:
        for buffer in buffers:
            buffer.flush(cursor)
            self.counts[buffer.table] = self.counts.get(buffer.table, 0) + buffer.total
            self.copy_seconds[buffer.table] = buffer.copy_seconds

    # --- users: installs, customers and their cards -------------------------------------
    def users(self, cursor):
        """Users until --customers have paid and --installs are written."""
        args, business, now = self.args, self.business, self.now
        customers = CopyBuffer("djstripe_customer")
        methods = CopyBuffer("djstripe_paymentmethod")
        installs = CopyBuffer("fact_install")
        channel_sk = self._channels(cursor)
        client_sk: dict[tuple, int] = {}
        number = written = 0
        while len(self.customers_paying) < args.customers or written < args.installs:
            number += 1
            user, user_installs = business.user(number)
            for install in user_installs[: args.installs - written]:
                client = (install.os_name, install.app_name, install.app_version)
                client += (install.device_name,)
                if client not in client_sk:
                    client_sk[client] = self._client(cursor, client)
                installs.add(
                    *fact_install_row(
                        install,
                        self._date_sk(install.installed_at),
                        client_sk[client],
                        channel_sk[install.channel.name],
                    )
                )
                written += 1
            if len(self.customers_paying) < args.customers:
                first_payment = business.first_payment(user)
                if first_payment is not None:
                    customer = business.customer(user, first_payment, DELETED_CUSTOMERS)
                    data = customer_object(customer, {"user_id": user.user_id})
                    customers.add(
                        *djstripe_row("djstripe_customer", data, now=now, purged=customer.deleted)
                    )
                    cards = business.cards(customer)
                    for card in cards:
                        methods.add(
                            *djstripe_row(
                                "djstripe_paymentmethod", payment_method_object(card, data), now=now
                            )
                        )
                    self.customers_paying.append(PayingCustomer(customer, cards, first_payment))
            for buffer in (customers, methods, installs):
                buffer.maybe_flush(cursor)
        self._done(customers, methods, installs, cursor=cursor)
        print(f"            {number:,} users drawn", flush=True)
        self.counts["dim_channel"] = len(channel_sk)
        self.counts["dim_client"] = len(client_sk)

    def _channels(self, cursor) -> dict[str, int]:
        channel_sk = {}
        for channel in CHANNELS[: self.args.channels]:
            cursor.execute(
                "insert into dim_channel (channel_name, channel_group, channel_label) "
                "values (%s, %s, %s) returning channel_sk",
                [channel.name, channel.group, channel.label],
            )
            channel_sk[channel.name] = cursor.fetchone()[0]
        return channel_sk

    @staticmethod
    def _client(cursor, client: tuple) -> int:
        cursor.execute(
            "insert into dim_client (os_name, app_name, app_version, device_name) "
            "values (%s, %s, %s, %s) returning client_sk",
            list(client),
        )
        return cursor.fetchone()[0]

    # --- one-off charges, their balance transactions, refunds, disputes ------------------
    def charges(self, cursor):
        """Exactly --charges one-off charges: each customer's share follows how many months
        it pays, against the remaining charges per remaining customer."""
        business, now, end = self.business, self.now, self.end
        bt = CopyBuffer("djstripe_balancetransaction")
        charges = CopyBuffer("djstripe_charge")
        refunds = CopyBuffer("djstripe_refund")
        disputes = CopyBuffer("djstripe_dispute")
        fact = CopyBuffer("fact_transaction")
        remaining, months_seen = self.args.charges, 0
        paying = self.customers_paying
        for position, entry in enumerate(paying):
            customer = entry.customer
            months = business.paying_months(customer, entry.first_payment)
            months_seen += len(months)
            left = len(paying) - position
            mean_months = months_seen / (position + 1)
            count = remaining if left == 1 else round(remaining / left * len(months) / mean_months)
            count = min(count, remaining)
            remaining -= count
            data = customer_object(customer, {})
            methods = {card.id: payment_method_object(card, data) for card in entry.cards}
            for charge in business.one_off_charges(customer, entry.cards, months, count):
                data = one_off_charge_object(charge, methods[charge.card.id], end)
                if charge.movement:
                    entry.paid(charge.moment)
                    bt.add(
                        *djstripe_row(
                            "djstripe_balancetransaction", data["balance_transaction"], now=now
                        )
                    )
                    outcome = business.charge_outcome(
                        charge.id, charge.amount, charge.currency, charge.moment
                    )
                    dispute = apply_outcome(data, outcome, end)
                    for refund in data["refunds"]["data"]:
                        bt.add(
                            *djstripe_row(
                                "djstripe_balancetransaction",
                                refund["balance_transaction"],
                                now=now,
                            )
                        )
                        refunds.add(*djstripe_row("djstripe_refund", refund, now=now))
                        fact.add(*refund_fact(refund, data, self._date_sk(outcome.moment), now))
                    if dispute:
                        for movement in dispute["balance_transactions"]:
                            bt.add(*djstripe_row("djstripe_balancetransaction", movement, now=now))
                        disputes.add(*djstripe_row("djstripe_dispute", dispute, now=now))
                        for row in dispute_facts(dispute, data, self._date_sk, now):
                            fact.add(*row)
                charges.add(*djstripe_row("djstripe_charge", data, now=now))
                fact.add(*charge_fact(data, self._date_sk(charge.moment), now))
            for buffer in (bt, charges, refunds, disputes, fact):
                buffer.maybe_flush(cursor)
        self._done(bt, charges, refunds, disputes, fact, cursor=cursor)

    # --- warehouse dimensions ---------------------------------------------------------
    def warehouse_dimensions(self, cursor):
        """dim_customer and dim_payment_method (written before the facts that reference them)."""
        customers = CopyBuffer("dim_customer")
        methods = CopyBuffer("dim_payment_method")
        for entry in self.customers_paying:
            customers.add(
                *dim_customer_row(entry.customer, entry.paid_first, entry.paid_last, self.now)
            )
            for card in entry.cards:
                methods.add(*dim_payment_method_row(card, self.now))
            customers.maybe_flush(cursor)
            methods.maybe_flush(cursor)
        self._done(customers, methods, cursor=cursor)


def _truncate(cursor, tables):
    cursor.execute(f"truncate {', '.join(tables)} restart identity cascade")


def _fast_copy_session(cursor) -> str:
    """Skip FK triggers while loading (the generated rows are consistent by construction)."""
    try:
        cursor.execute("savepoint fast_copy")
        cursor.execute("set local session_replication_role = replica")
        cursor.execute("release savepoint fast_copy")
        return "FK triggers off (session_replication_role = replica)"
    except Exception:
        cursor.execute("rollback to savepoint fast_copy")
        return "FK checks deferred to commit (not a superuser)"


def _drop_secondary_indexes(cursor, tables: list[str]) -> list[str]:
    """Drop the indexes that back no constraint; return their definitions to recreate.

    Building an index once after a bulk load is several times cheaper than maintaining it
    row by row (djstripe_charge alone has 16 secondary indexes). Keys and unique constraints
    stay, so the load still rejects duplicates.
    """
    cursor.execute(
        """
        select index.indexname, index.indexdef
        from pg_indexes as index
        where
            index.schemaname = current_schema()
            and index.tablename = any(%s)
            and not exists (select 1 from pg_constraint as c where c.conname = index.indexname)
        """,
        [tables],
    )
    definitions = cursor.fetchall()
    for name, _ in definitions:
        cursor.execute(f'drop index "{name}"')
    return [definition for _, definition in definitions]


def _recreate_indexes(cursor, definitions: list[str]) -> None:
    cursor.execute("set local maintenance_work_mem = '256MB'")
    for definition in definitions:
        cursor.execute(definition)


BULK_TABLES = [
    *BILLING_TABLES,
    "djstripe_charge",
    "djstripe_balancetransaction",
    "djstripe_refund",
    "djstripe_dispute",
    "fact_transaction",
]


def generate(args) -> dict:
    from django.db import connection, transaction

    from warehouse.services import ensure_dim_dates, refresh_customer_months
    from warehouse.services.installs import refresh_install_aggregates
    from warehouse.services.subscriptions import rebuild_subscriptions

    generator = Generator(args)
    timings = {}
    started = time.perf_counter()

    def step(name, function, *extra):
        step_started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as django_cursor:
            cursor = django_cursor.cursor  # the psycopg2 cursor: copy_expert
            mode = _fast_copy_session(cursor)
            function(cursor, *extra)
        timings[name] = time.perf_counter() - step_started
        print(f"  {timings[name]:7.1f} s  {name}  [{mode}]", flush=True)
        if name.startswith("charges") and "recreate indexes" in timings:
            copy_seconds = sum(generator.copy_seconds.values())
            print(
                f"            of which {copy_seconds:.1f} s in COPY, "
                f"{timings['recreate indexes']:.1f} s recreating indexes, the rest generating "
                "rows in Python",
                flush=True,
            )

    print(
        f"generating {args.customers:,} customers, {args.charges:,} charges, "
        f"~{args.subscriptions:,} subscriptions over {args.months} "
        f"months up to {generator.end:%Y-%m-%d %H:%M} UTC, {args.installs:,} installs over "
        f"{args.channels} channels (seed {args.seed})",
        flush=True,
    )
    step(
        "truncate",
        lambda cursor: _truncate(
            cursor, WAREHOUSE_TABLES + DJSTRIPE_TABLES + DJSTRIPE_EVENT_TABLES
        ),
    )
    step(
        "dim_date",
        lambda cursor: ensure_dim_dates(
            (generator.start - dt.timedelta(days=40)).date(),
            (generator.end + dt.timedelta(days=2)).date(),
        ),
    )
    step(
        "users: installs, customers, payment methods (dim_client, dim_channel as met)",
        generator.users,
    )

    # One transaction: fact_transaction references dim_customer, whose payment times come
    # from the charges (FK checks are deferred to commit when they cannot be switched off).
    def charges_and_dimensions(cursor):
        definitions = _drop_secondary_indexes(cursor, BULK_TABLES)
        generator.charges(cursor)
        write_subscriptions(generator, cursor, args.subscriptions)
        generator.warehouse_dimensions(cursor)
        index_started = time.perf_counter()
        _recreate_indexes(cursor, definitions)
        timings["recreate indexes"] = time.perf_counter() - index_started

    step(
        "charges, refunds, disputes, balance transactions, subscriptions, invoices, "
        "fact_transaction, dim_customer, dim_payment_method (secondary indexes rebuilt after)",
        charges_and_dimensions,
    )
    # The services below plan their joins on these statistics: with none (freshly copied
    # tables), dim_customer looked empty and the MRR rebuild's customer stubs ran a nested
    # loop over every customer per customer (15 minutes at 100,000 customers, not seconds).
    step("analyze the copied tables", lambda cursor: cursor.execute("analyze"))

    def service(name, function, what):
        """A warehouse service run on the copied rows, timed."""
        step_started = time.perf_counter()
        function()
        timings[name] = time.perf_counter() - step_started
        print(f"  {timings[name]:7.1f} s  {what}", flush=True)

    service(
        "fact_customer_month",
        refresh_customer_months,
        "fact_customer_month (warehouse.services.refresh_customer_months)",
    )
    service(  # the subscriptions were copied in around the write path
        "mrr",
        rebuild_subscriptions,
        "dim_product/price/coupon, fact_invoice_line, fact_mrr_change, fact_mrr_movement, "
        "MRR marts (warehouse.services.subscriptions.rebuild_subscriptions)",
    )
    with connection.cursor() as cursor:
        for table in ("fact_invoice_line", "fact_mrr_change", "fact_mrr_movement"):
            cursor.execute(f"select count(*) from {table}")
            generator.counts[table] = cursor.fetchone()[0]
    service(  # the installs were copied in around the write path
        "install aggregates",
        refresh_install_aggregates,
        "fact_user_acquisition, fact_install_day "
        "(warehouse.services.installs.refresh_install_aggregates)",
    )
    step_started = time.perf_counter()
    with connection.cursor() as cursor:
        # VACUUM too, as autovacuum does on a settled database: index-only scans (the report
        # pages' covering indexes) read the heap for every row until the visibility map is set
        # (at full scale the MRR page read 11,101 blocks before a VACUUM and 569 after).
        cursor.execute("vacuum analyze")
    timings["analyze"] = time.perf_counter() - step_started
    with connection.cursor() as cursor:
        cursor.execute("select count(*) from fact_customer_month")
        generator.counts["fact_customer_month"] = cursor.fetchone()[0]
    total = time.perf_counter() - started
    print(
        f"generated in {total:.1f} s: "
        + ", ".join(f"{table} {count:,}" for table, count in generator.counts.items()),
        flush=True,
    )
    return {
        "seconds": total,
        "steps": timings,
        "rows": generator.counts,
        "end": generator.end.isoformat(),
        "start": generator.start.isoformat(),
    }


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--charges", type=int, default=1_000_000, help="charge attempts")
    parser.add_argument(
        "--subscriptions",
        type=int,
        default=100_000,
        help="about this many subscriptions (whole customer lives), with their invoices",
    )
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--installs", type=int, default=500_000)
    parser.add_argument("--channels", type=int, default=8, choices=range(1, len(CHANNELS) + 1))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--end",
        type=dt.datetime.fromisoformat,
        default=None,
        help="last moment of the data (ISO 8601 with offset); default now",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    setup()
    generate(args)


if __name__ == "__main__":
    main()
