"""The parsed copy of invoices and their lines (int_invoice, int_invoice_line), which the MRR
refresh reads instead of expanding every invoice's JSON at every event
(facts/invoice_line_store.sql).

The copy must follow dj-stripe's invoices: an edited line, a version synced out of order, an
invoice item changed after its invoice, a deleted invoice. Each test compares the warehouse
with what a rebuild (every invoice parsed again) writes, and the copy with a fresh parse of
the staging views. And it must be a copy: an invoice that did not change is not parsed again.
"""

import copy
import datetime as dt

import pytest
from django.db import connection, transaction
from djstripe.models import Invoice

from tests.warehouse.billing import Billing, sync
from warehouse.models import (
    FactInvoiceLine,
    FactMrrChange,
    FactMrrChannelCustomer,
    FactMrrMovement,
    IntInvoice,
    IntInvoiceLine,
    IntSubscriptionState,
    MartMrrCohort,
    MartMrrCustomerMonth,
    MartMrrMonthMovement,
)
from warehouse.services import rebuild_warehouse
from warehouse.services.subscriptions import refresh_subscription_facts

pytestmark = pytest.mark.django_db

LINE_FIELDS = [
    field.name
    for field in FactInvoiceLine._meta.concrete_fields
    if field.name not in ("updated_at", "customer")
] + ["customer_id"]
STORE_LINE_FIELDS = [
    "invoice_id",
    "line_id",
    "subscription_id",
    "subscription_item_id",
    "price_id",
    "product_id",
    "currency",
    "period_start",
    "period_end",
    "is_proration",
    "quantity",
    "amount",
    "discount_amount",
    "inclusive_tax_amount",
]


def at(month, day):
    return dt.datetime(2025, month, day, 12, tzinfo=dt.UTC)


def fact_lines() -> list[tuple]:
    return sorted(FactInvoiceLine.objects.values_list(*LINE_FIELDS))


def mrr_changes() -> list[tuple]:
    return sorted(
        FactMrrChange.objects.values_list("subscription_id", "price_id", "date", "amount")
    )


def store_lines() -> list[tuple]:
    return sorted(IntInvoiceLine.objects.values_list(*STORE_LINE_FIELDS))


def fresh_parse() -> list[tuple]:
    """The staging views' lines of the non-void invoices, as the store keeps them."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"select {', '.join('lines.' + name for name in STORE_LINE_FIELDS)} "
            "from stg_stripe__invoice_lines as lines "
            "inner join stg_stripe__invoices as invoices using (invoice_id) "
            "where invoices.status not in ('void', 'deleted', '') "
            "and lines.subscription_item_id is not null and lines.line_id is not null "
            "and lines.period_start is not null and lines.period_end is not null"
        )
        return sorted(cursor.fetchall())


def mrr_marts() -> list[list[tuple]]:
    """The MRR marts and MRR by channel's customer rows (a delta may leave a month's movement
    row at zero, which a rebuild does not write)."""
    return [
        list(
            MartMrrCustomerMonth.objects.order_by("customer_id", "month").values_list(
                "customer_id", "month", "cohort_month", "mrr_start", "mrr_end", "cohort_mrr"
            )
        ),
        list(
            MartMrrMonthMovement.objects.exclude(movements=0)
            .order_by("month", "movement_type")
            .values_list("month", "movement_type", "amount", "movements", "customers")
        ),
        list(
            MartMrrCohort.objects.order_by("cohort_month", "month").values_list(
                "cohort_month", "month", "mrr_change", "gross_mrr_change", "customers_change"
            )
        ),
        list(
            FactMrrChannelCustomer.objects.values_list(
                "customer_id", "dates", "mrr_changes", "customers_changes"
            )
        ),
    ]


def assert_like_a_rebuild() -> None:
    """The copy equals a fresh parse, and the facts equal what a rebuild writes."""
    assert store_lines() == fresh_parse()
    signals = fact_lines(), mrr_changes()
    rebuild_warehouse()
    assert (fact_lines(), mrr_changes()) == signals
    assert store_lines() == fresh_parse()


@pytest.fixture
def billing(stripe_double):
    b = Billing(prefix="Store")
    plan = b.price(b.product("Plan"), 2000)
    customer = b.customer("store@example.com")
    sub = b.subscribe(customer, [(plan, 1)], at(1, 10))
    b.renew(sub)
    return b, customer["id"], sub


def synced_invoice(b: Billing, invoice: dict) -> None:
    sync([("invoice", copy.deepcopy(invoice))])


def test_a_line_edited_on_a_draft_invoice_is_parsed_again(billing):
    b, customer_id, sub = billing
    sync(b.objects())
    draft = b._invoice(sub, at(3, 10), [b._period_lines(sub, at(3, 10), at(4, 10))], pay=False)
    draft["status"] = "draft"
    synced_invoice(b, draft)
    line = draft["lines"]["data"][0]
    assert FactInvoiceLine.objects.get(line_id=line["id"]).quantity == 1
    # the draft's line is edited in Stripe: 3 seats
    line.update(quantity=3, amount=6000)
    draft.update(subtotal=6000, total=6000, amount_due=6000, amount_remaining=6000)
    synced_invoice(b, draft)
    edited = FactInvoiceLine.objects.get(line_id=line["id"])
    assert (edited.quantity, edited.amount, edited.mrr) == (3, 6000, 6000)
    assert_like_a_rebuild()


def test_invoice_versions_out_of_order_follow_dj_stripe(billing):
    b, customer_id, sub = billing
    sync(b.objects())
    invoice = b.renew(sub, pay=False)
    unpaid = copy.deepcopy(invoice)
    b.pay(invoice, at(3, 12))
    sync([("charge", c) for c in b.charges.values()])
    synced_invoice(b, invoice)  # paid
    line_id = invoice["lines"]["data"][0]["id"]
    assert FactInvoiceLine.objects.get(line_id=line_id).invoice_status == "paid"
    # the older, unpaid version arrives late: dj-stripe now holds it, so does the warehouse
    synced_invoice(b, unpaid)
    line = FactInvoiceLine.objects.get(line_id=line_id)
    assert (line.invoice_status, line.invoice_paid_at) == ("open", None)
    assert_like_a_rebuild()
    # and the paid one again
    synced_invoice(b, invoice)
    assert FactInvoiceLine.objects.get(line_id=line_id).invoice_status == "paid"
    assert_like_a_rebuild()


def test_an_unchanged_invoice_is_not_parsed_again(billing):
    b, customer_id, sub = billing
    sync(b.objects())
    first = b.invoices[next(iter(b.invoices))]
    line_id = first["lines"]["data"][0]["id"]
    # dj-stripe's row changes behind the warehouse's back (no save, no signal, same version)
    edited = copy.deepcopy(first)
    edited["lines"]["data"][0]["quantity"] = 7
    Invoice.objects.filter(id=first["id"]).update(stripe_data=edited)
    refresh_subscription_facts([customer_id])
    # the copy was kept: the refresh did not re-read that invoice's JSON
    assert IntInvoiceLine.objects.get(invoice_id=first["id"], line_id=line_id).quantity == 1
    assert FactInvoiceLine.objects.get(line_id=line_id).quantity == 1
    # named by the caller (the flush names the invoices saved in its transaction), or with a
    # new version (djstripe_updated: every save bumps it), it is parsed again
    refresh_subscription_facts([customer_id], invoice_ids=[first["id"]])
    assert FactInvoiceLine.objects.get(line_id=line_id).quantity == 7
    edited["lines"]["data"][0]["quantity"] = 5
    Invoice.objects.filter(id=first["id"]).update(
        stripe_data=edited, djstripe_updated=dt.datetime.now(dt.UTC)
    )
    refresh_subscription_facts([customer_id])
    assert FactInvoiceLine.objects.get(line_id=line_id).quantity == 5
    assert_like_a_rebuild()


def test_an_invoice_saved_again_unchanged_is_not_parsed_again(billing):
    b, customer_id, sub = billing
    sync(b.objects())
    first = b.invoices[next(iter(b.invoices))]
    line_id = first["lines"]["data"][0]["id"]
    parsed_at = IntInvoice.objects.get(invoice_id=first["id"]).source_updated
    # a copy damaged behind the warehouse's back shows whether a save parses the invoice
    IntInvoiceLine.objects.filter(line_id=line_id).update(quantity=9)
    # dj-stripe saves the same JSON again (invoice.payment_succeeded after invoice.paid):
    # a new version of it, but nothing to parse
    synced_invoice(b, first)
    assert Invoice.objects.get(id=first["id"]).djstripe_updated > parsed_at
    assert IntInvoice.objects.get(invoice_id=first["id"]).source_updated == parsed_at
    assert IntInvoiceLine.objects.get(line_id=line_id).quantity == 9
    # saved with another JSON (here only its metadata differs): parsed again
    changed = copy.deepcopy(first)
    changed["metadata"] = {"note": "edited"}
    synced_invoice(b, changed)
    assert IntInvoice.objects.get(invoice_id=first["id"]).source_updated > parsed_at
    assert IntInvoiceLine.objects.get(line_id=line_id).quantity == 1
    assert_like_a_rebuild()
    # a copy whose digest is unknown (a full refresh writes none) is parsed at the next save
    IntInvoiceLine.objects.filter(line_id=line_id).update(quantity=9)
    assert (
        IntInvoice.objects.filter(source_digest__isnull=True).count() == IntInvoice.objects.count()
    )
    synced_invoice(b, changed)
    assert IntInvoiceLine.objects.get(line_id=line_id).quantity == 1


def test_a_deleted_invoice_takes_its_parsed_copy(billing):
    b, customer_id, sub = billing
    sync(b.objects())
    draft = b._invoice(sub, at(3, 10), [b._period_lines(sub, at(3, 10), at(4, 10))], pay=False)
    draft["status"] = "draft"
    synced_invoice(b, draft)
    assert IntInvoice.objects.filter(invoice_id=draft["id"]).exists()
    assert IntInvoiceLine.objects.filter(invoice_id=draft["id"]).exists()
    with transaction.atomic():  # the app's transaction: flushed before its commit
        Invoice.objects.get(id=draft["id"]).delete()
    assert not IntInvoice.objects.filter(invoice_id=draft["id"]).exists()
    assert not IntInvoiceLine.objects.filter(invoice_id=draft["id"]).exists()
    assert not FactInvoiceLine.objects.filter(invoice_id=draft["id"]).exists()
    assert_like_a_rebuild()


def test_a_voided_invoice_keeps_no_lines(billing):
    b, customer_id, sub = billing
    sync(b.objects())
    invoice = b.renew(sub, pay=False)
    synced_invoice(b, invoice)
    assert IntInvoiceLine.objects.filter(invoice_id=invoice["id"]).exists()
    b.void(invoice, at(3, 20))
    synced_invoice(b, invoice)
    assert IntInvoice.objects.get(invoice_id=invoice["id"]).status == "void"
    assert not IntInvoiceLine.objects.filter(invoice_id=invoice["id"]).exists()
    assert not FactInvoiceLine.objects.filter(invoice_id=invoice["id"]).exists()
    assert_like_a_rebuild()


def test_mrr_changes_recomputed_only_when_lines_or_subscriptions_changed(billing):
    b, customer_id, sub = billing
    sync(b.objects())
    expected = mrr_changes()
    assert expected
    # a row lost behind the warehouse's back shows whether a refresh recomputes them
    FactMrrChange.objects.filter(subscription_id=sub.id).order_by("date").last().delete()
    damaged = mrr_changes()
    # the same invoice again: no line changes, no subscription saved: nothing recomputed
    synced_invoice(b, b.invoices[next(iter(b.invoices))])
    assert mrr_changes() == damaged
    # a subscription saved with the state the changes were computed from (a renewal's
    # customer.subscription.updated): nothing recomputed
    sync([("subscription", copy.deepcopy(sub.data))])
    assert mrr_changes() == damaged
    # saved with another state: recomputed from the lines and its state (past_due counts as
    # active does, so the changes are the same)
    past_due = copy.deepcopy(sub.data)
    past_due["status"] = "past_due"
    sync([("subscription", past_due)])
    assert mrr_changes() == expected
    # the state the changes were computed from is unknown (the table starts empty): a saved
    # subscription recomputes
    FactMrrChange.objects.filter(subscription_id=sub.id).order_by("date").last().delete()
    IntSubscriptionState.objects.all().delete()
    sync([("subscription", copy.deepcopy(past_due))])
    assert mrr_changes() == expected
    assert IntSubscriptionState.objects.filter(subscription_id=sub.id, status="past_due").exists()
    sync([("subscription", copy.deepcopy(sub.data))])
    assert mrr_changes() == expected
    # a line that changes: recomputed too
    FactMrrChange.objects.filter(subscription_id=sub.id).order_by("date").last().delete()
    invoice = b.renew(sub, pay=False)
    synced_invoice(b, invoice)
    b.pay(invoice, at(3, 11))
    sync([("charge", c) for c in b.charges.values()])
    synced_invoice(b, invoice)
    assert_like_a_rebuild()
    assert len(mrr_changes()) >= len(expected)


def test_invoice_lines_recomputed_only_when_they_may_change(billing):
    b, customer_id, sub = billing
    sync(b.objects())
    first = b.invoices[next(iter(b.invoices))]
    line_id = first["lines"]["data"][0]["id"]
    expected = fact_lines()
    # a value lost behind the warehouse's back shows whether an event recomputes the lines
    FactInvoiceLine.objects.filter(line_id=line_id).update(amount=1)
    damaged = fact_lines()
    # the same invoice saved again (as invoice.paid after the charge's event): its copy is
    # unchanged and every line converts at its own invoice's charge: nothing recomputed
    synced_invoice(b, first)
    assert IntInvoice.objects.get(invoice_id=first["id"]).status == "paid"
    assert fact_lines() == damaged
    # a new invoice (its copy is new): the customer's lines are recomputed
    synced_invoice(b, b.renew(sub, pay=False))
    assert FactInvoiceLine.objects.get(line_id=line_id).amount == 2000
    assert set(fact_lines()) > set(expected)
    # that unpaid renewal borrows the rate of a charge that may still arrive late: while the
    # customer holds such a line, each of their events recomputes their lines
    expected = fact_lines()
    FactInvoiceLine.objects.filter(line_id=line_id).update(amount=1)
    sync([("subscription", copy.deepcopy(sub.data))])
    assert fact_lines() == expected
    # a line missing (the copy holds one more): recomputed too
    FactInvoiceLine.objects.filter(line_id=line_id).delete()
    synced_invoice(b, first)
    assert fact_lines() == expected
    assert_like_a_rebuild()


def test_movements_and_marts_follow_a_change_that_moved_and_nothing_else(billing):
    # The refresh runs the movements, the MRR marts and MRR by channel only when a change
    # moved (warehouse_execute_if): events that move nothing leave them as they are, and a
    # move reaches all of them, as a rebuild computes them.
    b, customer_id, sub = billing
    sync(b.objects())
    marts = mrr_marts()
    assert [row[1] for row in marts[1]] == ["new"]
    sync([("invoice", copy.deepcopy(b.invoices[next(iter(b.invoices))]))])
    sync([("subscription", copy.deepcopy(sub.data))])
    assert mrr_marts() == marts
    # an immediate cancellation moves MRR: the customer churns in every mart
    b.cancel(sub, at(2, 20))
    sync([("subscription", copy.deepcopy(sub.data))])
    churned = FactMrrMovement.objects.order_by("date").values_list("movement_type", flat=True)
    assert list(churned) == ["new", "churn"]
    marts = mrr_marts()
    assert [row[1] for row in marts[1]] == ["new", "churn"]  # by month
    assert len(marts[3][0][1]) == 2  # MRR by channel: the customer's new and churn days
    rebuild_warehouse()
    assert mrr_marts() == marts
