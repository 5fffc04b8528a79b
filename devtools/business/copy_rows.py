"""The business's records and objects as the rows dj-stripe and the warehouse store, for COPY.

The benchmark (bench/generate.py) writes the business at scale this way. dj-stripe rows are
what dj-stripe 2.11's `sync_from_stripe_data` stores for the same Stripe objects (a few
typed columns plus the whole object in `stripe_data`; tests/devtools/
test_business_copy_rows.py compares them column by column): customers, payment methods,
refunds and disputes here, charges and balance transactions (and the Billing objects)
through devtools/billing/bulk.py. Warehouse rows (fact_transaction, dim_customer,
dim_payment_method, fact_install) are what the warehouse's write path derives from them.
`CopyBuffer` collects rows in PostgreSQL's COPY text format and flushes them by COPY.
"""

import datetime as dt
import io
import json
import time

from devtools.billing.bulk import COLUMNS as BILLING_COLUMNS
from devtools.billing.bulk import rows as billing_rows
from devtools.business.generator import Card, Customer, Install
from devtools.business.model import SETTLEMENT_CURRENCY
from warehouse.install_format import CHANNEL_FIELDS, CLIENT_FIELDS, INSTALL_FIELDS

COMMON = BILLING_COLUMNS["djstripe_charge"][:7]  # dj-stripe's leading columns, and metadata
COLUMNS = {
    "djstripe_customer": [*COMMON, "email", "date_purged"],
    "djstripe_paymentmethod": [*COMMON, "customer_id"],
    "djstripe_charge": BILLING_COLUMNS["djstripe_charge"],
    "djstripe_balancetransaction": BILLING_COLUMNS["djstripe_balancetransaction"],
    "djstripe_refund": [*COMMON, "amount", "currency", "balance_transaction_id", "charge_id"],
    "djstripe_dispute": [*COMMON, "balance_transaction_id", "charge_id"],
    "fact_transaction": [
        "stripe_id",
        "transaction_type",
        "status",
        "charge_id",
        "customer_id",
        "payment_method_id",
        "date_sk",
        "occurred_at",
        "amount",
        "currency",
        "balance_transaction_id",
        "settlement_amount",
        "fee",
        "net",
        "settlement_currency",
        "failure_code",
        "failure_message",
        "livemode",
        "updated_at",
    ],
    "dim_customer": [
        "stripe_id",
        "user_id",
        "email",
        "name",
        "country",
        "address_line1",
        "address_line2",
        "address_city",
        "address_state",
        "address_postal_code",
        "created",
        "deleted",
        "first_payment_at",
        "last_payment_at",
        "livemode",
        "updated_at",
    ],
    "dim_payment_method": [
        "stripe_id",
        "customer_id",
        "type",
        "card_brand",
        "card_funding",
        "card_last4",
        "card_exp_month",
        "card_exp_year",
        "card_fingerprint",
        "card_country",
        "wallet",
        "created",
        "detached",
        "livemode",
        "updated_at",
    ],
    # The install fields, but the client's and the channel's (dim_client, dim_channel).
    "fact_install": [
        *INSTALL_FIELDS[:4],
        "date_sk",
        "client_id",
        "channel_id",
        *(f for f in INSTALL_FIELDS[4:] if f not in CLIENT_FIELDS + CHANNEL_FIELDS),
    ],
}


def _moment(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def djstripe_row(table: str, obj: dict, *, now: dt.datetime, purged: bool = False) -> tuple:
    """One row of `COLUMNS[table]` for the Stripe object `obj`, as dj-stripe's sync stores it
    (`purged`: a deleted customer, kept as dj-stripe keeps it)."""
    if table in ("djstripe_charge", "djstripe_balancetransaction"):
        return billing_rows(table, obj, now=now)
    common = (
        now,
        now,
        obj,
        obj["id"],
        obj.get("livemode"),
        _moment(obj["created"]),
        obj["metadata"],
    )
    if table == "djstripe_customer":
        return (*common, obj["email"], now if purged else None)
    if table == "djstripe_paymentmethod":
        return (*common, obj["customer"])
    if table == "djstripe_refund":
        bt = obj["balance_transaction"]
        return (*common, obj["amount"], obj["currency"], bt["id"], obj["charge"])
    if table == "djstripe_dispute":
        # dj-stripe leaves the column NULL (the movements are in `balance_transactions`).
        return (*common, None, obj["charge"])
    raise ValueError(f"no rows for {table}")


def charge_fact(charge: dict, date_sk: int, now: dt.datetime) -> tuple:
    """fact_transaction's row for a charge (succeeded or failed), from its object."""
    bt = charge["balance_transaction"]
    return (
        charge["id"],
        "charge",
        charge["status"],
        charge["id"],
        charge["customer"],
        charge["payment_method"],
        date_sk,
        _moment(charge["created"]),
        charge["amount"],
        charge["currency"],
        bt["id"] if bt else "",
        bt["amount"] if bt else None,
        bt["fee"] if bt else None,
        bt["net"] if bt else None,
        SETTLEMENT_CURRENCY if bt else "",
        charge["failure_code"] or "",
        charge["failure_message"] or "",
        False,
        now,
    )


def _movement_fact(source, kind, status, charge, bt, sign, date_sk, now) -> tuple:
    return (
        source["id"],
        kind,
        status,
        charge["id"],
        charge["customer"],
        charge["payment_method"],
        date_sk,
        _moment(bt["created"]),
        sign * source["amount"],
        charge["currency"],
        bt["id"],
        bt["amount"],
        bt["fee"],
        bt["net"],
        SETTLEMENT_CURRENCY,
        "",
        "",
        False,
        now,
    )


def refund_fact(refund: dict, charge: dict, date_sk: int, now: dt.datetime) -> tuple:
    bt = refund["balance_transaction"]
    return _movement_fact(refund, "refund", "succeeded", charge, bt, -1, date_sk, now)


def dispute_facts(dispute: dict, charge: dict, date_sk_of, now: dt.datetime) -> list[tuple]:
    """The withdrawal's row, and the reinstatement's when the dispute was won
    (`date_sk_of(moment)` gives a moment's reporting day)."""
    facts = []
    for bt, kind, sign in zip(
        dispute["balance_transactions"],
        ("dispute_withdrawal", "dispute_reinstatement"),
        (-1, 1),
        strict=False,
    ):
        date_sk = date_sk_of(_moment(bt["created"]))
        facts.append(
            _movement_fact(dispute, kind, dispute["status"], charge, bt, sign, date_sk, now)
        )
    return facts


def dim_customer_row(customer: Customer, first_payment, last_payment, now) -> tuple:
    user = customer.user
    return (
        customer.id,
        user.user_id,
        customer.email,
        f"{customer.first_name} {customer.last_name}",
        user.country,
        customer.line1,
        "",
        customer.city,
        customer.state,
        customer.postal_code,
        customer.created,
        customer.deleted,
        first_payment,
        last_payment,
        False,
        now,
    )


def dim_payment_method_row(card: Card, now) -> tuple:
    return (
        card.id,
        card.customer_id,
        "card",
        card.brand,
        card.funding,
        card.last4,
        card.exp_month,
        card.exp_year,
        card.fingerprint,
        card.country,
        card.wallet or "",
        card.created,
        False,
        False,
        now,
    )


# fact_install's columns after the network, named as the install record's attributes.
_ATTRIBUTION = tuple(COLUMNS["fact_install"][COLUMNS["fact_install"].index("network_name") + 1 :])


def fact_install_row(install: Install, date_sk: int, client_id: int, channel_id: int) -> tuple:
    return (
        install.install_id,
        install.user_id,
        install.device_id,
        install.installed_at,
        date_sk,
        client_id,
        channel_id,
        install.country_code,
        install.channel.network,
        *(getattr(install, name) for name in _ATTRIBUTION),
    )


def copy_text(value) -> str:
    """One field in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        value = json.dumps(value, separators=(",", ":"))
    value = str(value)
    if "\\" in value or "\t" in value or "\n" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    return value


class CopyBuffer:
    """Rows for one table, flushed by COPY when large (a psycopg2 cursor's copy_expert)."""

    def __init__(self, table: str, columns: list[str] | None = None, flush_rows: int = 50_000):
        self.table, self.flush_rows = table, flush_rows
        self.columns = columns or COLUMNS[table]
        self.buffer, self.pending, self.total = io.StringIO(), 0, 0
        self.copy_seconds = 0.0

    def add(self, *values) -> None:
        self.buffer.write("\t".join(map(copy_text, values)))
        self.buffer.write("\n")
        self.pending += 1

    def flush(self, cursor) -> None:
        if not self.pending:
            return
        self.buffer.seek(0)
        started = time.perf_counter()
        cursor.copy_expert(
            f"copy {self.table} ({', '.join(self.columns)}) from stdin with (format text)",
            self.buffer,
        )
        self.total += self.pending
        self.copy_seconds += time.perf_counter() - started
        self.buffer, self.pending = io.StringIO(), 0

    def maybe_flush(self, cursor) -> None:
        if self.pending >= self.flush_rows:
            self.flush(cursor)
