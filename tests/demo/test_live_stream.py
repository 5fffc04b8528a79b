"""The demo's live stream: payments, failures and refunds in the Stripe API double, delivered
as signed webhooks to the live server and synced by dj-stripe through the webhook path."""

import pytest
import stripe

from devtools.demo.live import LiveStream

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def live_stream(webhook_endpoint, settings):
    stream = LiveStream(
        webhook_endpoint.url,
        webhook_endpoint.secret,
        api_key=settings.STRIPE_TEST_SECRET_KEY,
        user_ids=["user_000001", "user_000002"],
        seed=3,
    )
    yield stream
    stream.close()


def test_each_kind_of_live_event_arrives_through_the_webhook(live_stream):
    from djstripe.models import Charge, Customer, Refund, WebhookEventTrigger

    deliveries = live_stream.pay() + live_stream.fail() + live_stream.refund()

    assert [d.status_code for d in deliveries] == [200] * len(deliveries)
    kinds = [d.event_type for d in deliveries]
    assert {"charge.succeeded", "charge.failed", "charge.refunded"} <= set(kinds)
    assert all(t.valid and t.processed for t in WebhookEventTrigger.objects.all())
    assert WebhookEventTrigger.objects.count() == len(deliveries)

    succeeded = next(d for d in deliveries if d.event_type == "charge.succeeded")
    failed = next(d for d in deliveries if d.event_type == "charge.failed")
    refunded = next(d for d in deliveries if d.event_type == "charge.refunded")
    assert Charge.objects.get(id=failed.object_id).status == "failed"
    assert Charge.objects.get(id=succeeded.object_id).status == "succeeded"
    # The only succeeded charge so far is the one refunded.
    assert refunded.object_id == succeeded.object_id
    assert Refund.objects.get(charge__id=refunded.object_id).amount == refunded.amount
    customer = Customer.objects.get(id=Charge.objects.get(id=succeeded.object_id).customer_id)
    assert customer.metadata["user_id"] in {"user_000001", "user_000002"}
    # The double holds the same objects dj-stripe stored.
    assert stripe.Charge.retrieve(failed.object_id).failure_code == "card_declined"


def test_live_events_land_in_fact_transaction(live_stream):
    from warehouse.models import DimCustomer, FactTransaction

    deliveries = live_stream.pay() + live_stream.pay() + live_stream.fail() + live_stream.refund()

    assert all(d.status_code == 200 for d in deliveries)
    charges = {
        d.object_id: d for d in deliveries if d.event_type in ("charge.succeeded", "charge.failed")
    }
    facts = {f.stripe_id: f for f in FactTransaction.objects.filter(transaction_type="charge")}
    assert set(facts) == set(charges)
    for charge_id, delivery in charges.items():
        expected_status = "succeeded" if delivery.event_type == "charge.succeeded" else "failed"
        assert (facts[charge_id].status, facts[charge_id].amount) == (
            expected_status,
            delivery.amount,
        )
    refunded = next(d for d in deliveries if d.event_type == "charge.refunded")
    refund_fact = FactTransaction.objects.get(
        transaction_type="refund", charge_id=refunded.object_id
    )
    assert refund_fact.amount == -refunded.amount
    assert refund_fact.settlement_amount == -refunded.amount  # the double settles USD as USD
    # New customers are the app users who had not paid yet, then fresh live users.
    user_ids = set(DimCustomer.objects.values_list("user_id", flat=True))
    assert "user_000001" in user_ids or "user_000002" in user_ids
    assert all(u in {"user_000001", "user_000002"} or u.startswith("user_live_") for u in user_ids)


def test_a_stream_of_steps_keeps_every_charge(live_stream):
    from djstripe.models import Charge

    deliveries = [d for _ in range(6) for d in live_stream.step()]

    charge_events = {d.object_id for d in deliveries if d.event_type.startswith("charge.")}
    assert all(d.status_code == 200 for d in deliveries)
    assert set(Charge.objects.values_list("id", flat=True)) == charge_events


def test_subscriptions_plan_changes_and_cancellations_arrive_through_the_webhook(live_stream):
    from djstripe.models import Charge, Invoice, InvoiceItem, Price, Subscription

    live_stream.trial_share = 0  # a trial's plan change is not prorated: no invoice items
    deliveries = live_stream.subscribe() + live_stream.subscribe()
    deliveries += live_stream.change_plan() + live_stream.cancel()

    assert [d.status_code for d in deliveries] == [200] * len(deliveries)
    kinds = {d.event_type for d in deliveries}
    assert {
        "product.created",
        "price.created",
        "customer.subscription.created",
        "customer.subscription.updated",
        "invoice.created",
        "invoice.finalized",
        "invoice.paid",
        "invoiceitem.created",
    } <= kinds
    assert kinds & {"customer.subscription.deleted", "customer.subscription.updated"}
    simulated = {s["id"]: s for s in live_stream.billing.objects()["subscriptions"]}
    assert dict(Subscription.objects.values_list("id", "stripe_data__status")) == {
        sub_id: sub["status"] for sub_id, sub in simulated.items()
    }
    assert dict(Subscription.objects.values_list("id", "stripe_data__cancel_at_period_end")) == {
        sub_id: sub["cancel_at_period_end"] for sub_id, sub in simulated.items()
    }
    invoices = live_stream.billing.objects()["invoices"]
    assert set(Invoice.objects.values_list("id", flat=True)) == {i["id"] for i in invoices}
    assert InvoiceItem.objects.count() == 2  # the plan change's two prorations
    assert Price.objects.count() == 2
    paid = [c["id"] for c in live_stream.billing.objects()["charges"]]
    assert set(paid) <= set(Charge.objects.values_list("id", flat=True))
