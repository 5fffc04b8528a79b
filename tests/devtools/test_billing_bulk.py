"""The bulk rows (for COPY) equal what dj-stripe's own sync stores for the same objects."""

import datetime as dt
import json

import pytest
from django.conf import settings
from django.db import connection

from devtools.billing.bulk import COLUMNS, rows
from devtools.billing.sync import sync_objects
from tests.devtools.test_billing_sync import scenario

pytestmark = pytest.mark.django_db(transaction=True)

SOURCES = {  # table: the simulator's collection
    "djstripe_product": "products",
    "djstripe_price": "prices",
    "djstripe_coupon": "coupons",
    "djstripe_subscription": "subscriptions",
    "djstripe_discount": "discounts",
    "djstripe_paymentintent": "payment_intents",
    "djstripe_charge": "charges",
    "djstripe_invoice": "invoices",
    "djstripe_invoiceitem": "invoiceitems",
}


def stored(table, columns):
    with connection.cursor() as cursor:
        cursor.execute(f"select {', '.join(columns)} from {table} order by id")
        return [
            tuple(
                json.loads(v) if isinstance(v, str) and v.startswith(("{", "[")) else v for v in row
            )
            for row in cursor.fetchall()
        ]


def test_bulk_rows_equal_what_sync_from_stripe_data_stores(stripe_unreachable, demo_account):
    sim = scenario()
    sync_objects(sim, settings.STRIPE_TEST_SECRET_KEY)
    objects = sim.objects()
    objects["invoices"] = [sim.expanded_invoice(i) for i in objects["invoices"]]
    objects["invoiceitems"] = [sim.expanded_invoiceitem(i) for i in objects["invoiceitems"]]
    objects["subscription_items"] = [
        item for s in objects["subscriptions"] for item in s["items"]["data"]
    ]
    objects["balance_transactions"] = [
        c["balance_transaction"] for c in objects["charges"] if c["balance_transaction"]
    ]
    with connection.cursor() as cursor:
        cursor.execute("select id, djstripe_id from djstripe_price")
        price_pk = dict(cursor.fetchall())
    now = dt.datetime.now(dt.UTC)
    sources = {
        **SOURCES,
        "djstripe_subscriptionitem": "subscription_items",
        "djstripe_balancetransaction": "balance_transactions",
    }
    assert set(sources) == set(COLUMNS)
    for table, collection in sources.items():
        columns = COLUMNS[table][2:]  # not djstripe_created / djstripe_updated
        expected = sorted(
            (rows(table, obj, now=now, price_pk=price_pk)[2:] for obj in objects[collection]),
            key=lambda row: row[1],
        )
        expected = [json.loads(json.dumps(row, default=str)) for row in expected]
        actual = [json.loads(json.dumps(row, default=str)) for row in stored(table, columns)]
        assert len(actual) == len(expected), table
        for stored_row, bulk_row in zip(actual, expected, strict=True):
            differing = [
                column for column, a, b in zip(columns, stored_row, bulk_row, strict=True) if a != b
            ]
            assert not differing, (table, stored_row[1], differing)
