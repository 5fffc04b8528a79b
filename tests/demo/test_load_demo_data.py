"""`load_demo_data` at a small size: dj-stripe's tables and the warehouse, filled offline
through the production paths (import_installs, dj-stripe sync and its signals)."""

import collections
import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from devtools.demo.generator import DemoConfig, generate

pytestmark = pytest.mark.django_db(transaction=True)

# Chosen so that this small business has a refund (one partial), a won and a lost dispute.
SMALL = {"users": 120, "months": 8, "seed": 629, "end": "2026-06-15T12:00:00+00:00"}


def small_business():
    return generate(
        DemoConfig(
            users=SMALL["users"],
            months=SMALL["months"],
            seed=SMALL["seed"],
            end=dt.datetime.fromisoformat(SMALL["end"]),
        )
    )


def load(**overrides):
    out = StringIO()
    call_command(
        "load_demo_data", *[f"--{k}={v}" for k, v in {**SMALL, **overrides}.items()], stdout=out
    )
    return out.getvalue()


@pytest.fixture
def loaded(stripe_unreachable):
    return load(workers=2)


def test_fills_djstripe_tables_with_the_generated_objects(loaded):
    from djstripe.models import BalanceTransaction, Charge, Customer, Dispute, PaymentMethod, Refund

    business = small_business()
    charges = [c for customer in business.customers for c in customer.charges]
    refunds = [r for c in charges for r in c["refunds"]["data"]]
    disputes = [d for customer in business.customers for d in customer.disputes]

    assert set(Customer.objects.values_list("id", flat=True)) == {
        c.customer["id"] for c in business.customers
    }
    assert PaymentMethod.objects.count() == sum(len(c.payment_methods) for c in business.customers)
    assert set(Charge.objects.values_list("id", flat=True)) == {c["id"] for c in charges}
    assert collections.Counter(
        Charge.objects.values_list("status", flat=True)
    ) == collections.Counter(c["status"] for c in charges)
    assert set(Refund.objects.values_list("id", flat=True)) == {r["id"] for r in refunds}
    assert set(Dispute.objects.values_list("id", flat=True)) == {d["id"] for d in disputes}
    assert BalanceTransaction.objects.count() == len(list(business.balance_transactions()))
    # The app's user id travels in the customer's metadata.
    user_ids = {c.metadata["user_id"] for c in Customer.objects.all()}
    assert user_ids == {c.user_id for c in business.customers}
    customers = len(business.customers)
    assert f"synced {customers}/{customers} customers" in loaded


def test_fills_djstripe_billing_tables_with_the_generated_subscriptions(loaded):
    from djstripe.models import (
        Coupon,
        Discount,
        Invoice,
        InvoiceItem,
        PaymentIntent,
        Price,
        Product,
        Subscription,
        SubscriptionItem,
    )

    business = small_business()

    def every(kind):
        return [obj for customer in business.customers for obj in getattr(customer, kind)]

    assert Product.objects.count() == len(business.catalog["products"])
    assert Price.objects.count() == len(business.catalog["prices"])
    assert Coupon.objects.count() == len(business.catalog["coupons"])
    assert dict(Subscription.objects.values_list("id", "stripe_data__status")) == {
        s["id"]: s["status"] for s in every("subscriptions")
    }
    assert SubscriptionItem.objects.count() == sum(
        len(s["items"]["data"]) for s in every("subscriptions")
    )
    assert dict(Invoice.objects.values_list("id", "stripe_data__total")) == {
        i["id"]: i["total"] for i in every("invoices")
    }
    assert Discount.objects.count() == len(every("discounts"))
    assert InvoiceItem.objects.count() == len(every("invoiceitems"))
    assert PaymentIntent.objects.count() == len(every("payment_intents"))


def test_installs_arrive_through_the_import(loaded):
    from warehouse.models import DimChannel, FactInstall

    business = small_business()
    assert set(FactInstall.objects.values_list("install_id", flat=True)) == {
        row["install_id"] for row in business.installs
    }
    assert set(DimChannel.objects.values_list("channel_name", flat=True)) == {
        row["channel_name"] for row in business.installs
    }


def test_warehouse_money_equals_the_generated_balance_transactions(loaded):
    from warehouse.models import DimCustomer, FactCustomerMonth, FactTransaction

    business = small_business()
    charges = [c for customer in business.customers for c in customer.charges]
    succeeded = [c for c in charges if c["status"] == "succeeded"]
    refunds = [r for c in charges for r in c["refunds"]["data"]]
    disputes = [d for customer in business.customers for d in customer.disputes]
    # Worked out from the generated objects, independently of the warehouse's SQL.
    gross = sum(c["balance_transaction"]["amount"] for c in succeeded)
    refunded = sum(r["balance_transaction"]["amount"] for r in refunds)
    disputed = sum(bt["amount"] for d in disputes for bt in d["balance_transactions"])
    fees = sum(bt["fee"] for bt in business.balance_transactions())

    facts = FactTransaction.objects
    assert facts.filter(transaction_type="charge").count() == len(charges)
    assert facts.filter(transaction_type="charge", status="failed").count() == len(charges) - len(
        succeeded
    )
    assert facts.filter(transaction_type="refund").count() == len(refunds)
    assert facts.filter(transaction_type="dispute_withdrawal").count() == len(disputes)
    assert facts.filter(transaction_type="dispute_reinstatement").count() == sum(
        d["status"] == "won" for d in disputes
    )
    assert (
        facts.filter(transaction_type="charge", status="succeeded").aggregate(
            s=Sum("settlement_amount")
        )["s"]
        == gross
    )
    assert (
        facts.filter(transaction_type="refund").aggregate(s=Sum("settlement_amount"))["s"]
        == refunded
    )
    assert (
        facts.filter(transaction_type__startswith="dispute").aggregate(s=Sum("settlement_amount"))[
            "s"
        ]
        == disputed
    )
    assert set(
        facts.exclude(settlement_amount=None).values_list("settlement_currency", flat=True)
    ) == {"usd"}
    jpy = next(c for c in succeeded if c["currency"] == "jpy")
    jpy_fact = facts.get(stripe_id=jpy["id"], transaction_type="charge")
    assert (jpy_fact.amount, jpy_fact.currency, jpy_fact.settlement_amount) == (
        jpy["amount"],
        "jpy",
        jpy["balance_transaction"]["amount"],
    )

    months = FactCustomerMonth.objects.aggregate(
        gross=Sum("gross"), net=Sum("net"), fees=Sum("fees")
    )
    assert months["gross"] == gross
    assert months["net"] == gross + refunded + disputed
    assert months["fees"] == fees
    assert set(DimCustomer.objects.values_list("user_id", flat=True)) == {
        c.user_id for c in business.customers
    }


def test_running_again_changes_nothing(loaded, stripe_unreachable):
    from djstripe.models import Charge, Customer

    from warehouse.models import FactInstall, FactTransaction

    before = (
        Customer.objects.count(),
        Charge.objects.count(),
        FactTransaction.objects.count(),
        FactInstall.objects.count(),
    )

    again = load(workers=1)
    # Left-out options take the loaded data's values (as `make demo` after `make demo-data`).
    bare = StringIO()
    call_command("load_demo_data", stdout=bare)

    assert "already loaded" in again and "already loaded" in bare.getvalue()
    assert (
        Customer.objects.count(),
        Charge.objects.count(),
        FactTransaction.objects.count(),
        FactInstall.objects.count(),
    ) == before


def test_an_interrupted_load_is_completed_by_the_next_run(stripe_unreachable):
    from djstripe.models import Charge, Customer

    load(workers=1)
    business = small_business()
    lost = business.customers[-3:]
    Customer.objects.filter(
        id__in=[c.customer["id"] for c in lost]
    ).delete()  # cascades its charges

    out = load(workers=1)

    assert f"3/{len(business.customers)} customers" in out
    assert Customer.objects.count() == len(business.customers)
    assert Charge.objects.count() == business.charge_count


def test_other_options_over_loaded_data_are_refused(loaded):
    with pytest.raises(CommandError, match="other options"):
        load(seed=258)


@pytest.mark.parametrize("option", ["--users=0", "--months=0", "--workers=0", "--end=yesterday"])
def test_bad_options_are_a_clear_error(option):
    with pytest.raises(CommandError):
        call_command("load_demo_data", option, stdout=StringIO())


def test_a_failing_worker_fails_the_command(stripe_unreachable, monkeypatch):
    from djstripe.models import Customer

    from devtools.demo import loader

    real_sync = loader.sync_customer
    doomed = small_business().customers[5].customer["id"]

    def sync_or_fail(demo_customer, api_key):
        if demo_customer.customer["id"] == doomed:
            raise RuntimeError("database went away")
        return real_sync(demo_customer, api_key)

    monkeypatch.setattr(loader, "sync_customer", sync_or_fail)  # forked workers inherit it

    with pytest.raises(CommandError, match="database went away"):
        load(workers=2)
    assert not Customer.objects.filter(id=doomed).exists()
