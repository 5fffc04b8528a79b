"""One generator, two emitters: the benchmark's COPY rows for the business's objects equal
what dj-stripe's own sync stores for the same objects (the demo's path), column by column."""

import datetime as dt
import json

import pytest
from django.conf import settings
from django.db import connection

from devtools.business.copy_rows import COLUMNS, djstripe_row
from devtools.business.generator import BusinessGenerator, Dispute, Refund, SerialIds
from devtools.business.stripe_objects import (
    apply_outcome,
    customer_object,
    one_off_charge_object,
    payment_method_object,
)

pytestmark = pytest.mark.django_db(transaction=True)

END = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def kind(charge, outcome) -> str:
    if charge.movement is None:
        return "failed"
    if isinstance(outcome, Refund):
        return "partly refunded" if outcome.amount < charge.amount else "refunded"
    if isinstance(outcome, Dispute):
        return f"disputed, {'won' if outcome.reinstatement else 'not won'}"
    return "paid"


def one_of_each():
    """Customers, their cards and one charge of each kind (failed, paid, refunded, partly
    refunded, disputed and won, disputed and not won), as Stripe objects."""
    business = BusinessGenerator(
        seed=5, start=END - dt.timedelta(days=365), end=END, ids=SerialIds("t"), months=12
    )
    wanted = {
        "failed",
        "paid",
        "refunded",
        "partly refunded",
        "disputed, won",
        "disputed, not won",
    }
    found, customers, cards, charges, disputes = {}, {}, {}, [], []
    number = 0
    while set(found) != wanted:
        number += 1
        assert number < 200_000, f"only {sorted(found)} after {number} users"
        user, _ = business.user(number)
        first_payment = business.first_payment(user)
        if first_payment is None:
            continue
        customer = business.customer(user, first_payment)
        customer_data = customer_object(customer, {"user_id": user.user_id})
        customer_cards = business.cards(customer)
        methods = {card.id: payment_method_object(card, customer_data) for card in customer_cards}
        months = business.paying_months(customer, first_payment)
        for charge in business.one_off_charges(customer, customer_cards, months, 3 * len(months)):
            data = one_off_charge_object(charge, methods[charge.card.id], END)
            outcome = None
            if charge.movement:
                outcome = business.charge_outcome(
                    charge.id, charge.amount, charge.currency, charge.moment
                )
            dispute = apply_outcome(data, outcome, END)
            if kind(charge, outcome) in found:
                continue
            found[kind(charge, outcome)] = data["id"]
            customers[customer.id] = customer_data
            cards.update({card_id: methods[card_id] for card_id in methods})
            charges.append(data)
            if dispute:
                disputes.append(dispute)
    return customers, cards, charges, disputes


def stored(table, columns):
    with connection.cursor() as cursor:
        cursor.execute(f"select {', '.join(columns)} from {table} order by id")
        return [
            [json.loads(v) if isinstance(v, str) and v.startswith(("{", "[")) else v for v in row]
            for row in cursor.fetchall()
        ]


def normal(row):
    return json.loads(json.dumps(row, default=str))


def test_copy_rows_equal_what_sync_from_stripe_data_stores(stripe_unreachable, demo_account):
    from djstripe.models import BalanceTransaction, Charge, Customer, Dispute, PaymentMethod

    customers, cards, charges, disputes = one_of_each()
    key = settings.STRIPE_TEST_SECRET_KEY
    for data in customers.values():
        Customer.sync_from_stripe_data(data, api_key=key)
    for data in cards.values():
        PaymentMethod.sync_from_stripe_data(data, api_key=key)
    for data in charges:
        Charge.sync_from_stripe_data(json.loads(json.dumps(data)), api_key=key)
    for data in disputes:
        for movement in data["balance_transactions"]:
            BalanceTransaction.sync_from_stripe_data(movement, api_key=key)
        Dispute.sync_from_stripe_data(json.loads(json.dumps(data)), api_key=key)

    refunds = [refund for charge in charges for refund in charge["refunds"]["data"]]
    movements = [
        *(c["balance_transaction"] for c in charges if c["balance_transaction"]),
        *(refund["balance_transaction"] for refund in refunds),
        *(movement for dispute in disputes for movement in dispute["balance_transactions"]),
    ]
    objects = {
        "djstripe_customer": list(customers.values()),
        "djstripe_paymentmethod": list(cards.values()),
        "djstripe_charge": charges,
        "djstripe_refund": refunds,
        "djstripe_dispute": disputes,
        "djstripe_balancetransaction": movements,
    }
    assert len(charges) == 6 and len(refunds) == 2 and len(disputes) == 2
    now = dt.datetime.now(dt.UTC)
    for table, table_objects in objects.items():
        columns = COLUMNS[table][2:]  # not djstripe_created / djstripe_updated
        expected = sorted(
            (normal(djstripe_row(table, obj, now=now)[2:]) for obj in table_objects),
            key=lambda row: row[1],
        )
        actual = [normal(row) for row in stored(table, columns)]
        assert len(actual) == len(expected), table
        for stored_row, copy_row in zip(actual, expected, strict=True):
            differing = [
                column for column, a, b in zip(columns, stored_row, copy_row, strict=True) if a != b
            ]
            assert not differing, (
                table,
                stored_row[1],
                {
                    column: (a, b)
                    for column, a, b in zip(columns, stored_row, copy_row, strict=True)
                    if a != b
                },
            )
