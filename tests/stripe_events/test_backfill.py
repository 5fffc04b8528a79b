"""The backfill by object type and created range: everything in the range reaches the
warehouse, once, across an interrupted run and its resumption."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from stripe_events.models import BackfillProgress
from warehouse.models import DimCustomer, FactTransaction

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
T = FactTransaction.TransactionType


def _backfill(*args) -> str:
    out = io.StringIO()
    call_command("backfill_stripe_objects", *args, stdout=out)
    return out.getvalue()


def test_backfill_resumes_where_it_stopped_and_syncs_each_object_once(empty_stripe_double, shop):
    from djstripe.models import Charge, Customer

    paid = {}
    for amount in (1100, 2200, 3300):
        customer = shop.customer(email=f"c{amount}@example.com")
        _, charge = shop.pay(customer.id, shop.card(customer.id).id, amount, "usd")
        paid[charge.id] = (customer.id, amount)
    refund = shop.refund(next(iter(paid)), amount=100)
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=90)).strftime("%Y-%m-%dT%H:%M")
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    range_args = ["--since", since, "--until", until, "--types", "customers", "charges", "refunds"]

    _backfill(*range_args, "--page-size", "1", "--max-pages", "2")

    assert Customer.objects.count() == 2 and not Charge.objects.exists()
    customers = BackfillProgress.objects.get(object_type="customers")
    assert (customers.synced, customers.finished_at) == (2, None)

    output = _backfill(*range_args, "--page-size", "1")

    assert "synced customers 1, charges 3, refunds 1" in output
    assert Customer.objects.count() == 3 and Charge.objects.count() == 3
    facts = {
        f.stripe_id: f.amount for f in FactTransaction.objects.filter(transaction_type=T.CHARGE)
    }
    assert facts == {charge_id: amount for charge_id, (_, amount) in paid.items()}
    assert FactTransaction.objects.get(stripe_id=refund.id).amount == -100
    assert DimCustomer.objects.count() == 3
    assert set(BackfillProgress.objects.values_list("finished_at", flat=True)) != {None}

    assert "synced customers 0, charges 0, refunds 0" in _backfill(*range_args)


def test_backfill_refuses_an_empty_range():
    with pytest.raises(CommandError, match="--since must be before --until"):
        _backfill("--since", "2026-02-01", "--until", "2026-01-01")
