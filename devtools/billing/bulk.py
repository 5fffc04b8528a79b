"""dj-stripe rows for simulated Billing objects, as `sync_from_stripe_data` stores them.

For bulk loading by COPY (the benchmark generator): `rows(table, obj)` gives the values of
`COLUMNS[table]` for one object, the same values dj-stripe 2.11's sync writes (compared
with it in tests/devtools/test_billing_bulk.py); `djstripe_id` and the account column are
left to their defaults. Invoices and invoice items are written as dj-stripe retrieves them
(discounts expanded: pass `BillingSimulator.expanded_invoice(...)` and
`expanded_invoiceitem(...)`), charges with their balance
transaction expanded. Links that dj-stripe leaves NULL at API version 2026-05-27.dahlia
stay NULL (invoice subscription, charge and payment intent; invoice item price and
subscription); line items are not rows (dj-stripe keeps them in the invoice's JSON).
"""

import datetime as dt
from decimal import Decimal

COMMON = ["djstripe_created", "djstripe_updated", "stripe_data", "id", "livemode", "created"]
COLUMNS = {
    "djstripe_product": [*COMMON, "metadata", "name", "active"],
    "djstripe_price": [
        *COMMON,
        "metadata",
        "active",
        "currency",
        "nickname",
        "lookup_key",
        "product_id",
    ],
    "djstripe_coupon": [*COMMON, "metadata"],
    "djstripe_subscription": [*COMMON, "metadata", "customer_id"],
    "djstripe_subscriptionitem": [*COMMON, "metadata", "price_id", "subscription_id"],
    "djstripe_discount": [
        *COMMON,
        "metadata",
        "promotion_code",
        "customer_id",
        "invoice_id",
        "subscription_id",
    ],
    "djstripe_paymentintent": [
        *COMMON,
        "metadata",
        "customer_id",
        "on_behalf_of_id",
        "payment_method_id",
    ],
    "djstripe_balancetransaction": [
        *COMMON,
        "metadata",
        "amount",
        "currency",
        "source",
        "type",
    ],
    "djstripe_charge": [
        *COMMON,
        "metadata",
        "amount",
        "currency",
        "status",
        "balance_transaction_id",
        "customer_id",
        "payment_intent_id",
        "payment_method_id",
    ],
    "djstripe_invoice": [*COMMON, "metadata", "customer_id"],
    "djstripe_invoiceitem": [*COMMON, "metadata", "customer_id", "invoice_id"],
}


def _moment(seconds):
    return None if seconds is None else dt.datetime.fromtimestamp(seconds, dt.UTC)


def _id(value):
    return value["id"] if isinstance(value, dict) else value


def rows(table: str, obj: dict, *, now: dt.datetime, price_pk: dict | None = None) -> tuple:
    """One row of `COLUMNS[table]` for `obj`; `price_pk` maps price ids to djstripe_id."""
    common = (now, now, obj, obj["id"], obj.get("livemode"), _moment(obj.get("created")))
    metadata = obj.get("metadata")
    if table == "djstripe_product":
        return (*common, metadata, obj["name"], obj["active"])
    if table == "djstripe_price":
        return (
            *common,
            metadata,
            obj["active"],
            obj["currency"],
            obj["nickname"] or "",
            obj["lookup_key"] or "",
            obj["product"],
        )
    if table == "djstripe_coupon":
        return (*common, metadata)
    if table == "djstripe_subscription":
        return (*common, metadata, obj["customer"])
    if table == "djstripe_subscriptionitem":
        return (*common, metadata, price_pk[obj["price"]["id"]], obj["subscription"])
    if table == "djstripe_discount":
        return (
            *common,
            metadata,
            obj["promotion_code"] or "",
            obj["customer"],
            obj["invoice"],
            obj["subscription"],
        )
    if table == "djstripe_paymentintent":
        return (
            *common,
            metadata,
            obj["customer"],
            obj["on_behalf_of"],
            obj["payment_method"],
        )
    if table == "djstripe_balancetransaction":
        return (*common, metadata, obj["amount"], obj["currency"], obj["source"], obj["type"])
    if table == "djstripe_charge":
        return (
            *common,
            metadata,
            # dj-stripe's legacy decimal field (2 places): amount / 100, whatever the currency.
            (Decimal(obj["amount"]) / 100).quantize(Decimal("0.01")),
            obj["currency"],
            obj["status"],
            _id(obj["balance_transaction"]),
            obj["customer"],
            obj["payment_intent"],
            obj["payment_method"],
        )
    if table == "djstripe_invoice":
        return (*common, metadata, obj["customer"])
    if table == "djstripe_invoiceitem":
        # dj-stripe's InvoiceItem hook copies the period's bounds to the top level.
        data = {**obj, "period_start": obj["period"]["start"], "period_end": obj["period"]["end"]}
        return (now, now, data, *common[3:], metadata, obj["customer"], obj["invoice"])
    raise ValueError(f"no rows for {table}")
