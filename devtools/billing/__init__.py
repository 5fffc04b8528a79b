"""A deterministic simulator of Stripe Billing: scripted subscription timelines in, Stripe's
objects out, in the shapes of API version 2026-05-27.dahlia (basil and later).

For the demo business, the benchmark generator, the Stripe API double and the MRR tests.
Pure Python, no database, no network; same seed and same script, same objects and ids.

Example (tests/devtools/test_billing_engine.py runs it)::

    import datetime as dt
    from devtools.billing import BillingSimulator

    day = lambda d: dt.datetime(2026, 1, d, tzinfo=dt.UTC)
    sim = BillingSimulator(seed=7)
    pro = sim.product("Pro", at=day(1))
    monthly = sim.price(pro, 1200, "eur", interval="month", at=day(1))
    plus = sim.price(pro, 2400, "eur", interval="month", at=day(1))
    first_month = sim.coupon(percent_off=50, duration="once", at=day(1))
    alice = sim.customer(at=day(1))["id"]
    sub = sim.subscribe(alice, [(monthly, 2)], at=day(2), trial_days=7, coupon=first_month)
    sim.change_price(sub, at=day(20), price=plus)      # upgrade, prorated
    sim.fail_payment(sub, at=day(31), outcome="recover")  # renewal fails, retry pays
    sim.cancel(sub, at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), at_period_end=True)
    sim.advance(dt.datetime(2026, 5, 1, tzinfo=dt.UTC))
    objects = sim.objects()   # products, prices, coupons, customers, subscriptions, ...
    events = sim.sorted_events()  # customer.subscription.*, invoice.*, ... in time order

Actions (per customer, in time order; each first runs the customer's subscriptions up to
its time): `subscribe` (price × quantity items, trial days, coupon), `change_price`
(same interval: pending proration items for the next invoice; another interval: the cycle
restarts and is invoiced at once), `change_quantity`, `apply_coupon` / `remove_coupon`
(percent or amount off; once, repeating N months, forever), `add_invoice_item` (a one-off
price), `cancel` (now, or at the period end), `fail_payment` (the next attempt fails; then
"recover", or end "canceled" or "unpaid" after the retries), `pause` / `resume`, `refund`,
`update_payment_method`, and `advance`; on the catalog `update_product`, `update_price`,
`update_coupon` and `delete_coupon` (`*.updated`, `coupon.deleted` events). A reactivation
is a new `subscribe` after the end; a second subscription is another `subscribe`.

Objects (`objects()`; as the API returns them, ids not expanded except where noted):
- product, price (recurring day/week/month/year × interval_count, licensed or metered
  with a meter; or one_time), coupon, customer (minimal);
- subscription: status (trialing, active, past_due, canceled, unpaid, paused,
  incomplete), items (price and legacy plan expanded, quantity, current_period_start/end
  on each item as since basil), `discounts` (ids), cancel_at_period_end, cancel_at,
  canceled_at, cancellation_details.reason, ended_at, trial_start/end, latest_invoice;
- discount: `source` {type "coupon", coupon id} (clover+), start, end, customer,
  subscription;
- invoice: status draft → open → paid / void / uncollectible, billing_reason,
  `parent.subscription_details.subscription`, `lines.data` (each with `pricing.
  price_details` {price, product}, `parent.subscription_item_details` {subscription,
  subscription_item, invoice_item, proration, proration_details} or
  `parent.invoice_item_details` for a one-off item, `period`, `amount` before discounts,
  `discount_amounts`, `discounts`, `quantity`), subtotal, `total_discount_amounts`,
  `discounts`, total, amount_due/paid/remaining, starting/ending_balance (credit from
  downgrades), attempt_count, next_payment_attempt, status_transitions, and `payments`
  (the invoice payments, as when expanded); no `charge`, `payment_intent`, `paid`,
  `subscription`;
- invoice item (pending prorations and one-off items): `pricing`, `parent.
  subscription_details`, `proration`, `proration_details.discount_amounts` (a
  proration's percent-off discounts), `discounts` (ids), `period`, `invoice` once
  invoiced;
- invoice payment: `payment` {type "payment_intent", payment_intent}, amount_requested,
  amount_paid, status open / paid / canceled; payment intent; charge (one per attempt,
  failed or succeeded, `payment_intent` set, no `invoice`), its balance transaction
  expanded (settled in USD at `exchange_rate`, Stripe's fee) and refunds.

Rules (each chosen to match Stripe; where simplified, said so):
- Periods: monthly and yearly boundaries keep the anchor's day of month, clamped to the
  month's end; weeks are 7 days, days 86,400 s. A trial's end is the billing cycle anchor.
- Invoices are created at the period start, finalised and charged an hour later
  (immediately when nothing is due). Licensed items are billed in advance; metered items
  in arrears (the usage of the period that just ended, from the first renewal on).
- Proration: amount × (period end − change time) / (period length), by the second,
  rounded half away from zero, credit and debit computed separately; proration lines are
  not discountable (as Stripe says); changes during a trial are not prorated.
- Proration discounts: the subscription's running percent-off discounts take their
  percent of each proration (credit and debit), rounded half up, signed like the amount;
  in Stripe's default form (`proration_discounts="included"`) the invoice item's and the
  line's amount are net, the line lists the discounts with `discount_amounts` of 0 and the
  invoice item's `proration_details.discount_amounts` hold them; with `subscribe(...,
  proration_discounts="itemized")` (billing mode flexible) the amounts are gross and the
  line's `discount_amounts` hold the discount (also in the invoice's totals). Amount-off
  coupons leave prorations undiscounted (a simplification: how Stripe spreads a fixed
  amount over prorations is not modelled).
- Discounts: percent off per discountable line, rounded half up; amount off once per
  invoice, shared between the lines in proportion with the remainder on the last line,
  only in its own currency. A repeating discount ends N calendar months after it started;
  a once discount is spent by the first invoice it reduces (a trial's zero invoice does not
  spend it). One discount per subscription (applying another replaces it).
- Customer credit from negative invoices is applied to the customer's next invoices.
- Failed payments: the subscription is past_due until the retry pays (active again) or
  the retries run out (canceled with reason payment_failed and the invoice uncollectible,
  or unpaid with the invoice left open). Simplified: an unpaid subscription issues no
  further invoices; a failed first invoice makes the subscription past_due (Stripe:
  incomplete, then incomplete_expired).
- Cancelling now voids the subscription's open invoices, credits nothing and drops
  pending prorations; cancelling at the period end ends it then (no final metered bill).

Loading into dj-stripe: `devtools.billing.sync.sync_objects` (read its docstring for what
dj-stripe 2.11 keeps of each object).
"""

from devtools.billing.engine import API_VERSION, BillingSimulator, period_boundary, prorated

__all__ = ["API_VERSION", "BillingSimulator", "period_boundary", "prorated"]
