"""The Stripe Billing simulator: shapes at 2026-05-27.dahlia, exact amounts, determinism.

Expected amounts are worked out by hand in each test from Stripe's rules (period lengths in
seconds, percent of a line), not read back from the simulator.
"""

import datetime as dt
import json
import textwrap

import pytest

import devtools.billing
from devtools.billing import BillingSimulator, period_boundary

DAY = 86400


def at(*args):
    return dt.datetime(*args, tzinfo=dt.UTC)


def ts(*args):
    return int(at(*args).timestamp())


def lines_of(invoice):
    return invoice["lines"]["data"]


def sub_invoices(sim, sub_id):
    return [
        i
        for i in sim.objects()["invoices"]
        if i["parent"]["subscription_details"]["subscription"] == sub_id
    ]


@pytest.fixture
def catalog():
    sim = BillingSimulator(seed=11)
    start = at(2025, 1, 1)
    pro = sim.product("Pro", at=start)
    prices = {
        "monthly": sim.price(pro, 1200, "eur", interval="month", at=start),
        "monthly_plus": sim.price(pro, 3000, "eur", interval="month", at=start),
        "quarterly": sim.price(pro, 3300, "usd", interval="month", interval_count=3, at=start),
        "yearly": sim.price(pro, 12000, "eur", interval="year", at=start),
        "weekly": sim.price(pro, 500, "gbp", interval="week", at=start),
        "jpy": sim.price(pro, 1500, "jpy", interval="month", at=start),
        "metered": sim.price(pro, 2, "eur", interval="month", usage_type="metered", at=start),
        "one_off": sim.price(pro, 4900, "eur", interval=None, at=start),
    }
    return sim, prices


def test_the_docstring_example_runs():
    source = devtools.billing.__doc__.split("::\n", 1)[1].split("\nActions", 1)[0]
    namespace = {}
    exec(textwrap.dedent(source), namespace)
    objects = namespace["objects"]
    assert len(objects["subscriptions"]) == 1
    assert objects["subscriptions"][0]["status"] == "canceled"
    assert any(e["type"] == "invoice.payment_failed" for e in namespace["events"])
    invoice_events = [e for e in namespace["events"] if e["type"].startswith("invoice.")]
    assert invoice_events and all("payments" not in e["data"]["object"] for e in invoice_events)


def test_period_boundaries_keep_the_anchor_day_clamped():
    anchor = ts(2025, 1, 31, 10)
    assert period_boundary(anchor, "month", 1, 1) == ts(2025, 2, 28, 10)
    assert period_boundary(anchor, "month", 1, 2) == ts(2025, 3, 31, 10)
    assert period_boundary(anchor, "month", 3, 1) == ts(2025, 4, 30, 10)
    assert period_boundary(ts(2024, 2, 29), "year", 1, 1) == ts(2025, 2, 28)
    assert period_boundary(anchor, "week", 2, 1) == anchor + 14 * DAY
    assert period_boundary(anchor, "day", 1, 3) == anchor + 3 * DAY


def test_plain_monthly_renewals_are_paid_invoices_with_one_line(catalog):
    sim, prices = catalog
    sub = sim.subscribe("cus_a", [(prices["monthly"], 2)], at=at(2025, 1, 15))
    sim.advance(at(2025, 3, 20))
    invoices = sub_invoices(sim, sub)
    assert [i["billing_reason"] for i in invoices] == [
        "subscription_create",
        "subscription_cycle",
        "subscription_cycle",
    ]
    assert [i["status"] for i in invoices] == ["paid"] * 3
    assert [lines_of(i)[0]["period"] for i in invoices] == [
        {"start": ts(2025, 1, 15), "end": ts(2025, 2, 15)},
        {"start": ts(2025, 2, 15), "end": ts(2025, 3, 15)},
        {"start": ts(2025, 3, 15), "end": ts(2025, 4, 15)},
    ]
    assert {i["total"] for i in invoices} == {2400}
    rendered = sim.objects()["subscriptions"][0]
    assert rendered["status"] == "active"
    item = rendered["items"]["data"][0]
    assert (item["current_period_start"], item["current_period_end"]) == (
        ts(2025, 3, 15),
        ts(2025, 4, 15),
    )
    assert "current_period_start" not in rendered  # moved onto the items in basil


def test_upgrade_mid_period_prorates_to_the_second_on_the_next_invoice(catalog):
    sim, prices = catalog
    sub = sim.subscribe("cus_a", [(prices["monthly"], 1)], at=at(2025, 4, 1))
    sim.change_price(sub, at=at(2025, 4, 21), price=prices["monthly_plus"])
    sim.advance(at(2025, 5, 2))
    renewal = sub_invoices(sim, sub)[1]
    # April has 30 days; 10 days remain: 1200 × 10/30 = 400 credit, 3000 × 10/30 = 1000.
    prorations = [
        line
        for line in lines_of(renewal)
        if line["parent"]["subscription_item_details"]["proration"]
    ]
    assert [line["amount"] for line in prorations] == [-400, 1000]
    assert [line["pricing"]["price_details"]["price"] for line in prorations] == [
        prices["monthly"]["id"],
        prices["monthly_plus"]["id"],
    ]
    assert all(
        line["period"] == {"start": ts(2025, 4, 21), "end": ts(2025, 5, 1)} for line in prorations
    )
    assert renewal["total"] == -400 + 1000 + 3000
    credit_line = prorations[0]["parent"]["subscription_item_details"]
    first_line = lines_of(sub_invoices(sim, sub)[0])[0]
    assert credit_line["proration_details"]["credited_items"] == {
        "invoice": sub_invoices(sim, sub)[0]["id"],
        "invoice_line_items": [first_line["id"]],
    }


def test_downgrade_rounds_half_up_and_leaves_a_credit_balance(catalog):
    sim, prices = catalog
    sub = sim.subscribe("cus_a", [(prices["monthly_plus"], 1)], at=at(2025, 2, 1))
    # February: 28 days; change after 14 days and 12 hours: 13.5 days remain of 28.
    sim.change_price(sub, at=at(2025, 2, 15, 12), price=prices["monthly"])
    sim.change_quantity(sub, at=at(2025, 2, 15, 12), quantity=2)
    sim.advance(at(2025, 3, 2))
    renewal = sub_invoices(sim, sub)[1]
    amounts = [line["amount"] for line in lines_of(renewal)]
    # 3000 × 13.5/28 = 1446.43 → 1446; 1200 × 13.5/28 = 578.57 → 579;
    # then quantity 1 → 2 on the new price: −579 and 2400 × 13.5/28 = 1157.14 → 1157.
    assert amounts == [-1446, 579, -579, 1157, 2400]
    assert renewal["total"] == renewal["amount_due"] == 2111


def test_quantity_change_on_a_quarterly_plan(catalog):
    sim, prices = catalog
    sub = sim.subscribe("cus_q", [(prices["quarterly"], 2)], at=at(2025, 1, 1))
    sim.change_quantity(sub, at=at(2025, 3, 2), quantity=5)
    sim.advance(at(2025, 4, 2))
    renewal = sub_invoices(sim, sub)[1]
    # Quarter 1 Jan → 1 Apr = 90 days; 30 days remain after 2 March.
    assert [line["amount"] for line in lines_of(renewal)] == [-2200, 5500, 16500]
    assert [line["quantity"] for line in lines_of(renewal)] == [2, 5, 5]
    assert lines_of(renewal)[2]["period"] == {"start": ts(2025, 4, 1), "end": ts(2025, 7, 1)}


def test_interval_change_restarts_the_cycle_and_invoices_now(catalog):
    sim, prices = catalog
    sub = sim.subscribe("cus_y", [(prices["monthly"], 1)], at=at(2025, 6, 1))
    sim.change_price(sub, at=at(2025, 6, 16), price=prices["yearly"])
    invoices = sub_invoices(sim, sub)
    update = invoices[1]
    assert update["billing_reason"] == "subscription_update"
    # June: 30 days, 15 remain: credit 600; then the full year from 16 June.
    assert [line["amount"] for line in lines_of(update)] == [-600, 12000]
    assert lines_of(update)[1]["period"] == {"start": ts(2025, 6, 16), "end": ts(2026, 6, 16)}
    sim.advance(at(2026, 6, 17))
    assert lines_of(sub_invoices(sim, sub)[2])[0]["period"]["start"] == ts(2026, 6, 16)


def test_trial_that_converts_and_trial_that_does_not(catalog):
    sim, prices = catalog
    converts = sim.subscribe("cus_t1", [(prices["weekly"], 1)], at=at(2025, 5, 1), trial_days=7)
    lapses = sim.subscribe("cus_t2", [(prices["weekly"], 1)], at=at(2025, 5, 1), trial_days=7)
    sim.fail_payment(lapses, at=at(2025, 5, 8), outcome="canceled", retry_days=())
    quits = sim.subscribe("cus_t3", [(prices["weekly"], 1)], at=at(2025, 5, 1), trial_days=7)
    sim.cancel(quits, at=at(2025, 5, 3), at_period_end=True)
    sim.advance(at(2025, 5, 20))
    trial_invoice = sub_invoices(sim, converts)[0]
    assert trial_invoice["total"] == 0 and trial_invoice["status"] == "paid"
    assert trial_invoice["payments"]["data"] == []
    assert lines_of(trial_invoice)[0]["period"] == {"start": ts(2025, 5, 1), "end": ts(2025, 5, 8)}
    weekly = [lines_of(i)[0]["period"] for i in sub_invoices(sim, converts)[1:]]
    assert weekly == [
        {"start": ts(2025, 5, 8), "end": ts(2025, 5, 15)},
        {"start": ts(2025, 5, 15), "end": ts(2025, 5, 22)},
    ]
    subs = {s["id"]: s for s in sim.objects()["subscriptions"]}
    assert subs[converts]["status"] == "active"
    assert subs[converts]["trial_end"] == ts(2025, 5, 8)
    assert subs[lapses]["status"] == "canceled"
    assert subs[lapses]["ended_at"] == ts(2025, 5, 8) + 3600
    assert subs[lapses]["cancellation_details"]["reason"] == "payment_failed"
    assert [i["status"] for i in sub_invoices(sim, lapses)] == ["paid", "uncollectible"]
    assert subs[quits]["status"] == "canceled" and subs[quits]["ended_at"] == ts(2025, 5, 8)
    assert [i["total"] for i in sub_invoices(sim, quits)] == [0]
    types = [e["type"] for e in sim.sorted_events() if e["data"]["object"].get("id") == converts]
    assert "customer.subscription.trial_will_end" in types


def test_repeating_coupon_expires_and_forever_amount_off_stays(catalog):
    sim, prices = catalog
    two_months = sim.coupon(percent_off=25, duration="repeating", duration_in_months=2)
    forever = sim.coupon(amount_off=150, currency="eur", duration="forever")
    expiring = sim.subscribe(
        "cus_c1", [(prices["monthly"], 1)], at=at(2025, 1, 10), coupon=two_months
    )
    lasting = sim.subscribe("cus_c2", [(prices["monthly"], 3)], at=at(2025, 1, 10), coupon=forever)
    sim.advance(at(2025, 5, 11))
    assert [i["total"] for i in sub_invoices(sim, expiring)] == [900, 900, 1200, 1200, 1200]
    assert [i["total"] for i in sub_invoices(sim, lasting)] == [3450] * 5
    first = sub_invoices(sim, expiring)[0]
    discount_id = first["discounts"][0]
    assert lines_of(first)[0]["discount_amounts"] == [{"amount": 300, "discount": discount_id}]
    assert first["total_discount_amounts"] == [{"amount": 300, "discount": discount_id}]
    discount = next(d for d in sim.objects()["discounts"] if d["id"] == discount_id)
    assert discount["source"] == {"coupon": two_months["id"], "type": "coupon"}
    assert discount["end"] == ts(2025, 3, 10)
    subs = {s["id"]: s for s in sim.objects()["subscriptions"]}
    assert subs[expiring]["discounts"] == []
    assert len(subs[lasting]["discounts"]) == 1


def test_once_coupon_skips_the_trial_invoice_and_one_off_items_are_invoiced(catalog):
    sim, prices = catalog
    half = sim.coupon(percent_off=50, duration="once")
    sub = sim.subscribe(
        "cus_o", [(prices["monthly"], 1)], at=at(2025, 1, 1), trial_days=7, coupon=half
    )
    sim.add_invoice_item(sub, at=at(2025, 1, 3), price=prices["one_off"])
    sim.advance(at(2025, 2, 9))
    totals = [i["total"] for i in sub_invoices(sim, sub)]
    # Trial 0; first paid invoice: (4900 + 1200) × 50 %; then full price.
    assert totals == [0, 3050, 1200]
    one_off = lines_of(sub_invoices(sim, sub)[1])[0]
    assert one_off["parent"]["type"] == "invoice_item_details"
    assert one_off["pricing"]["price_details"]["price"] == prices["one_off"]["id"]


def test_metered_items_bill_usage_in_arrears(catalog):
    sim, prices = catalog
    sub = sim.subscribe(
        "cus_m", [(prices["monthly"], 1), (prices["metered"], 250)], at=at(2025, 3, 1)
    )
    sim.advance(at(2025, 4, 2))
    first, second = sub_invoices(sim, sub)
    assert [line["amount"] for line in lines_of(first)] == [1200]
    metered = lines_of(second)[1]
    assert metered["amount"] == 500 and metered["quantity"] == 250
    assert metered["period"] == {"start": ts(2025, 3, 1), "end": ts(2025, 4, 1)}
    item = sim.objects()["subscriptions"][0]["items"]["data"][1]
    assert item["quantity"] is None
    assert item["price"]["recurring"]["usage_type"] == "metered"


def test_cancel_at_period_end_and_immediately(catalog):
    sim, prices = catalog
    later = sim.subscribe("cus_e", [(prices["monthly"], 1)], at=at(2025, 1, 5))
    now = sim.subscribe("cus_f", [(prices["monthly"], 1)], at=at(2025, 1, 5))
    sim.cancel(later, at=at(2025, 2, 20), at_period_end=True)
    sim.cancel(now, at=at(2025, 2, 20))
    sim.advance(at(2025, 4, 1))
    subs = {s["id"]: s for s in sim.objects()["subscriptions"]}
    assert subs[later]["cancel_at_period_end"] is True
    assert subs[later]["canceled_at"] == ts(2025, 2, 20)
    assert subs[later]["ended_at"] == ts(2025, 3, 5)
    assert subs[now]["ended_at"] == subs[now]["canceled_at"] == ts(2025, 2, 20)
    assert len(sub_invoices(sim, later)) == 2 and len(sub_invoices(sim, now)) == 2
    deleted = [e for e in sim.sorted_events() if e["type"] == "customer.subscription.deleted"]
    assert [(e["data"]["object"]["id"], e["created"]) for e in deleted] == [
        (now, ts(2025, 2, 20)),
        (later, ts(2025, 3, 5)),
    ]


def test_failed_renewal_recovers_or_ends_unpaid(catalog):
    sim, prices = catalog
    recovers = sim.subscribe("cus_r", [(prices["monthly"], 1)], at=at(2025, 1, 5))
    unpaid = sim.subscribe("cus_u", [(prices["monthly"], 1)], at=at(2025, 1, 5))
    sim.fail_payment(recovers, at=at(2025, 2, 1))
    sim.fail_payment(unpaid, at=at(2025, 2, 1), outcome="unpaid")
    sim.advance(at(2025, 2, 6))
    subs = {s["id"]: s for s in sim.objects()["subscriptions"]}
    assert subs[recovers]["status"] == "past_due"
    sim.advance(at(2025, 4, 1))
    subs = {s["id"]: s for s in sim.objects()["subscriptions"]}
    assert subs[recovers]["status"] == "active"
    assert subs[unpaid]["status"] == "unpaid"
    renewal = sub_invoices(sim, recovers)[1]
    assert renewal["status"] == "paid" and renewal["attempt_count"] == 2
    # Finalised an hour after the 5 February renewal; the retry 3 days later pays.
    assert renewal["status_transitions"]["paid_at"] == ts(2025, 2, 5) + 3600 + 3 * DAY
    payment = renewal["payments"]["data"][0]
    assert payment["status"] == "paid" and payment["amount_paid"] == 1200
    intent = next(
        p
        for p in sim.objects()["payment_intents"]
        if p["id"] == payment["payment"]["payment_intent"]
    )
    charges = [c for c in sim.objects()["charges"] if c["payment_intent"] == intent["id"]]
    assert [c["status"] for c in charges] == ["failed", "succeeded"]
    assert intent["latest_charge"] == charges[1]["id"]
    assert "invoice" not in charges[1]
    left_open = sub_invoices(sim, unpaid)[1]
    assert left_open["status"] == "open" and left_open["attempt_count"] == 4
    assert len(sub_invoices(sim, unpaid)) == 2


def test_jpy_settles_in_usd_at_the_exchange_rate_and_refunds_leave_invoices_paid(catalog):
    sim, prices = catalog
    sub = sim.subscribe("cus_j", [(prices["jpy"], 1)], at=at(2025, 1, 5))
    invoice = sub_invoices(sim, sub)[0]
    charge = next(c for c in sim.objects()["charges"] if c["customer"] == "cus_j")
    bt = charge["balance_transaction"]
    # ¥1500 × 0.0067 USD/¥ = 10.05 USD; fee 2.9 % + 30 ¢ + 1.5 % foreign = 29 + 30 + 15.
    assert (charge["amount"], charge["currency"]) == (1500, "jpy")
    assert (bt["amount"], bt["currency"], bt["exchange_rate"]) == (1005, "usd", 0.0067)
    assert bt["fee"] == 29 + 30 + 15
    sim.refund(invoice["id"], at=at(2025, 1, 20))
    assert invoice["status"] == "paid"
    assert charge["refunded"] is True
    assert charge["refunds"]["data"][0]["balance_transaction"]["amount"] == -1005


def test_a_second_subscription_and_a_reactivation(catalog):
    sim, prices = catalog
    first = sim.subscribe("cus_2", [(prices["monthly"], 1)], at=at(2025, 1, 1))
    second = sim.subscribe("cus_2", [(prices["monthly_plus"], 1)], at=at(2025, 1, 15))
    sim.cancel(first, at=at(2025, 2, 10))
    sim.cancel(second, at=at(2025, 2, 10))
    again = sim.subscribe("cus_2", [(prices["monthly"], 1)], at=at(2025, 5, 1))
    sim.advance(at(2025, 5, 2))
    subs = {s["id"]: s for s in sim.objects()["subscriptions"]}
    assert [subs[s]["status"] for s in (first, second, again)] == ["canceled", "canceled", "active"]
    assert len({first, second, again}) == 3


def test_same_seed_same_objects_and_events():
    def run(seed):
        sim = BillingSimulator(seed=seed)
        pro = sim.product("Pro", at=at(2025, 1, 1))
        price = sim.price(pro, 999, "gbp", at=at(2025, 1, 1))
        sub = sim.subscribe("cus_d", [(price, 1)], at=at(2025, 1, 2), trial_days=7)
        sim.fail_payment(sub, at=at(2025, 3, 1), outcome="canceled")
        sim.advance(at(2025, 6, 1))
        return json.dumps([sim.objects(), sim.sorted_events()], sort_keys=True)

    assert run(5) == run(5)
    assert run(5) != run(6)


def test_actions_must_come_in_time_order_per_customer(catalog):
    sim, prices = catalog
    sub = sim.subscribe("cus_z", [(prices["monthly"], 1)], at=at(2025, 3, 1))
    with pytest.raises(ValueError, match="time order"):
        sim.change_quantity(sub, at=at(2025, 2, 1), quantity=2)
    # Another customer has its own clock.
    sim.subscribe("cus_y", [(prices["monthly"], 1)], at=at(2025, 1, 1))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"percent_off": 10, "amount_off": 100, "currency": "eur"},
        {"amount_off": 100},
        {"percent_off": 10, "duration": "repeating"},
        {"percent_off": 10, "duration": "weekly"},
    ],
)
def test_bad_coupons_are_refused(kwargs):
    with pytest.raises(ValueError):
        BillingSimulator().coupon(**kwargs)


def test_shapes_are_basil_and_later(catalog):
    sim, prices = catalog
    coupon = sim.coupon(percent_off=10, duration="forever")
    sub = sim.subscribe("cus_s", [(prices["monthly"], 1)], at=at(2025, 1, 1), coupon=coupon)
    sim.change_quantity(sub, at=at(2025, 1, 10), quantity=2)
    sim.advance(at(2025, 2, 2))
    objects = sim.objects()
    invoice = objects["invoices"][-1]
    for gone in ("charge", "payment_intent", "paid", "subscription", "discount"):
        assert gone not in invoice
    assert invoice["object"] == "invoice"
    assert invoice["parent"]["type"] == "subscription_details"
    for line in lines_of(invoice):
        assert line["object"] == "line_item"
        for gone in ("price", "plan", "subscription", "subscription_item", "proration", "type"):
            assert gone not in line
        assert line["pricing"]["type"] == "price_details"
        assert line["invoice"] == invoice["id"]
    payment = invoice["payments"]["data"][0]
    assert payment["object"] == "invoice_payment"
    assert payment["payment"]["type"] == "payment_intent"
    for charge in objects["charges"]:
        assert "invoice" not in charge
    subscription = objects["subscriptions"][0]
    assert "discount" not in subscription and "current_period_end" not in subscription
    assert subscription["items"]["data"][0]["object"] == "subscription_item"
    invoiceitem = objects["invoiceitems"][0]
    assert "price" not in invoiceitem and "subscription" not in invoiceitem
    assert invoiceitem["parent"]["subscription_details"]["subscription"] == sub
    for discount in objects["discounts"]:
        assert "coupon" not in discount
    assert all(
        isinstance(v, (int, str, float, bool, dict, list, type(None))) for v in invoice.values()
    )


def test_catalog_changes_are_events_and_a_deleted_coupon_keeps_discounting(catalog):
    sim, prices = catalog
    coupon = sim.coupon(percent_off=10, duration="forever")
    sub = sim.subscribe("cus_k", [(prices["monthly"], 1)], at=at(2025, 1, 1), coupon=coupon)
    product = sim.products[prices["monthly"]["product"]]
    sim.update_product(product, at=at(2025, 1, 5), name="Pro (2025)")
    sim.update_price(prices["monthly"], at=at(2025, 1, 5), active=False)
    sim.update_coupon(coupon, at=at(2025, 1, 6), name="Loyalty")
    sim.delete_coupon(coupon, at=at(2025, 1, 7))
    sim.advance(at(2025, 2, 2))
    types = [e["type"] for e in sim.sorted_events()]
    assert {"product.updated", "price.updated", "coupon.updated", "coupon.deleted"} <= set(types)
    updated = next(e for e in sim.events if e["type"] == "price.updated")
    assert updated["data"]["object"]["active"] is False
    assert updated["data"]["previous_attributes"] == {"active": True}
    assert coupon["id"] not in {c["id"] for c in sim.objects()["coupons"]}
    # 10 % off 1,200 on both invoices: the deleted coupon's discount keeps running.
    assert [i["total"] for i in sub_invoices(sim, sub)] == [1080, 1080]
    with pytest.raises(ValueError):
        sim.update_price(prices["monthly"], at=at(2025, 2, 3), unit_amount=1)


@pytest.mark.parametrize("form", ["included", "itemized"])
def test_percent_off_discounts_prorations_included_or_itemized(catalog, form):
    sim, prices = catalog
    fifth_off = sim.coupon(percent_off=20, duration="forever")
    sub = sim.subscribe(
        "cus_a",
        [(prices["monthly"], 1)],
        at=at(2025, 4, 1),
        coupon=fifth_off,
        proration_discounts=form,
    )
    sim.change_price(sub, at=at(2025, 4, 21), price=prices["monthly_plus"])
    sim.advance(at(2025, 5, 2))
    renewal = sub_invoices(sim, sub)[1]
    discount_id = renewal["discounts"][0]
    prorations = [
        line
        for line in lines_of(renewal)
        if line["parent"]["subscription_item_details"]["proration"]
    ]
    # 10 of 30 days: credit 1200 × 1/3 = 400 gross, 80 off; debit 3000 × 1/3 = 1000, 200 off
    items = [
        sim.invoiceitems[line["parent"]["subscription_item_details"]["invoice_item"]]
        for line in prorations
    ]
    assert [i["proration_details"]["discount_amounts"] for i in items] == [
        [{"amount": -80, "discount": discount_id}],
        [{"amount": 200, "discount": discount_id}],
    ]
    assert all(i["discounts"] == [discount_id] and i["invoice"] == renewal["id"] for i in items)
    assert [line["discounts"] for line in prorations] == [[discount_id]] * 2
    if form == "included":
        assert [line["amount"] for line in prorations] == [-320, 800]
        assert [i["amount"] for i in items] == [-320, 800]
        assert [line["discount_amounts"] for line in prorations] == [
            [{"amount": 0, "discount": discount_id}]
        ] * 2
    else:
        assert [line["amount"] for line in prorations] == [-400, 1000]
        assert [i["amount"] for i in items] == [-400, 1000]
        assert [line["discount_amounts"][0]["amount"] for line in prorations] == [-80, 200]
    # either way the customer pays the same: 80 % of everything
    assert renewal["total"] == -320 + 800 + 2400
    subscription = next(s for s in sim.objects()["subscriptions"] if s["id"] == sub)
    assert subscription["billing_mode"]["type"] == ("flexible" if form == "itemized" else "classic")


def test_amount_off_coupons_leave_prorations_undiscounted(catalog):
    sim, prices = catalog
    off = sim.coupon(amount_off=150, currency="eur", duration="forever")
    sub = sim.subscribe("cus_a", [(prices["monthly"], 1)], at=at(2025, 4, 1), coupon=off)
    sim.change_price(sub, at=at(2025, 4, 21), price=prices["monthly_plus"])
    items = [i for i in sim.invoiceitems.values() if i["customer"] == "cus_a"]
    assert [i["amount"] for i in items] == [-400, 1000]
    assert all(i["proration_details"]["discount_amounts"] == [] for i in items)


def test_proration_discounts_form_is_checked(catalog):
    sim, prices = catalog
    with pytest.raises(ValueError, match="proration_discounts"):
        sim.subscribe("cus_a", [(prices["monthly"], 1)], at=at(2025, 4, 1), proration_discounts="x")
