"""A live stream of payments through the Stripe API double, delivered as signed webhooks.

Each `step()` does one thing a real business sees every few seconds: a customer pays, a
payment fails (a card that the issuer declines), a customer is refunded, subscribes (now
and then with a trial or the first-month coupon), changes plan (a prorated upgrade or
downgrade) or cancels. Payments happen in the Stripe API double through stripe-python;
subscriptions happen in a Stripe Billing simulator (`devtools.billing`, API version
2026-05-27.dahlia) whose objects are loaded into the double, so dj-stripe re-retrieves
every object from there. The matching events (`charge.*`, `customer.created`,
`customer.subscription.*`, `invoice.*`, `invoiceitem.created`, `payment_intent.*`, and
`product.created`, `price.created`, `coupon.created` for the catalog) are delivered to the
webhook endpoint over HTTP, signed with the endpoint's secret exactly as Stripe signs them.
Nothing here touches the database: the web server's webhook path does all the writing.
"""

import random
import time
from dataclasses import dataclass, field

import requests
import stripe

from devtools import webhook_delivery
from devtools.billing.engine import BillingSimulator

# Numbers the double accepts (it has no 15-digit American Express).
GOOD_CARDS = ["4242424242424242", "5555555555554444", "6011111111111117"]
# Attaching works; charging is declined by the issuer (Stripe's test card, localstripe knows it).
DECLINED_CARD = "4000000000000341"
PRICES_USD = (999, 1999)


@dataclass
class Delivery:
    event_type: str
    object_id: str
    status_code: int
    amount: int = 0


@dataclass
class _LiveCustomer:
    id: str
    user_id: str
    good_card: str
    declining_card: str | None = None
    charges: list = field(default_factory=list)  # succeeded, not fully refunded (id, amount)
    subscriptions: list = field(default_factory=list)  # ids, in the Billing simulator


class LiveStream:
    def __init__(
        self,
        webhook_url: str,
        webhook_secret: str,
        *,
        api_key: str | None = None,
        user_ids: list[str] | None = None,
        seed: int | None = None,
        user_id_metadata_key: str = "user_id",
    ):
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.api_key = api_key
        self.rng = random.Random(seed)
        # App users without a Stripe customer yet: the next ones to convert.
        self.prospects = list(user_ids or [])
        self.rng.shuffle(self.prospects)
        self.metadata_key = user_id_metadata_key
        self.customers: list[_LiveCustomer] = []
        self.session = requests.Session()
        self._new_user_number = 0
        self.billing = BillingSimulator(
            seed=self.rng.randrange(2**32), charge_description="Stridely subscription"
        )
        self.plans: dict[str, dict] = {}  # the live catalog, created on the first subscription
        self.trial_share = 0.3  # of new subscriptions, starting with a 7-day trial
        self._events_delivered = 0

    # --- delivery ------------------------------------------------------------------------
    def deliver(self, event_type: str, api_object) -> int:
        data = api_object.to_dict() if hasattr(api_object, "to_dict") else api_object
        event = webhook_delivery.event_envelope(event_type, data)
        response = webhook_delivery.deliver(
            self.webhook_url, event, self.webhook_secret, session=self.session
        )
        return response.status_code

    # --- Stripe objects in the double ----------------------------------------------------
    def _card(self, number: str, customer_id: str) -> str:
        payment_method = stripe.PaymentMethod.create(
            type="card",
            card={
                "number": number,
                "exp_month": self.rng.randrange(1, 13),
                "exp_year": 2030 + self.rng.randrange(0, 5),
                "cvc": "123",
            },
            api_key=self.api_key,
        )
        stripe.PaymentMethod.attach(payment_method.id, customer=customer_id, api_key=self.api_key)
        return payment_method.id

    def _new_customer(self) -> tuple[_LiveCustomer, Delivery]:
        if self.prospects:
            user_id = self.prospects.pop()
        else:
            self._new_user_number += 1
            user_id = f"user_live_{self._new_user_number:05d}"
        customer = stripe.Customer.create(
            email=f"{user_id}@example.com",
            name=f"Live customer {user_id}",
            metadata={self.metadata_key: user_id, "source": "stripe_dwh demo live"},
            api_key=self.api_key,
        )
        live = _LiveCustomer(
            customer.id, user_id, self._card(self.rng.choice(GOOD_CARDS), customer.id)
        )
        self.customers.append(live)
        status = self.deliver(
            "customer.created", stripe.Customer.retrieve(customer.id, api_key=self.api_key)
        )
        return live, Delivery("customer.created", customer.id, status)

    def _some_customer(self) -> tuple[_LiveCustomer, list[Delivery]]:
        if self.customers and self.rng.random() < 0.6:
            return self.rng.choice(self.customers), []
        customer, delivery = self._new_customer()
        return customer, [delivery]

    def _confirm(self, customer: _LiveCustomer, payment_method: str, amount: int):
        """Confirm a payment intent; returns the charge id (succeeded or declined)."""
        try:
            intent = stripe.PaymentIntent.create(
                amount=amount,
                currency="usd",
                customer=customer.id,
                payment_method=payment_method,
                confirm=True,
                api_key=self.api_key,
            )
        except stripe.StripeError as error:
            # A declined card: Stripe answers 402 and names the failed charge.
            charge_id = ((error.json_body or {}).get("error") or {}).get("charge")
            if not charge_id:
                raise
            return charge_id
        # localstripe answers with the pre-2022 shape: `charges` rather than `latest_charge`.
        return intent.charges.data[0].id

    # --- the three things that happen ----------------------------------------------------
    def pay(self) -> list[Delivery]:
        customer, deliveries = self._some_customer()
        amount = self.rng.choice(PRICES_USD)
        charge_id = self._confirm(customer, customer.good_card, amount)
        charge = stripe.Charge.retrieve(charge_id, api_key=self.api_key)
        customer.charges.append((charge.id, amount))
        deliveries.append(
            Delivery(
                "charge.succeeded", charge.id, self.deliver("charge.succeeded", charge), amount
            )
        )
        return deliveries

    def fail(self) -> list[Delivery]:
        customer, deliveries = self._some_customer()
        if customer.declining_card is None:
            customer.declining_card = self._card(DECLINED_CARD, customer.id)
        amount = self.rng.choice(PRICES_USD)
        charge_id = self._confirm(customer, customer.declining_card, amount)
        charge = stripe.Charge.retrieve(charge_id, api_key=self.api_key)
        deliveries.append(
            Delivery("charge.failed", charge.id, self.deliver("charge.failed", charge), amount)
        )
        return deliveries

    def refund(self) -> list[Delivery]:
        candidates = [c for c in self.customers if c.charges]
        if not candidates:
            return self.pay()
        customer = self.rng.choice(candidates)
        charge_id, amount = customer.charges.pop(self.rng.randrange(len(customer.charges)))
        partial = self.rng.random() < 0.3
        refund_amount = amount // 2 if partial else amount
        stripe.Refund.create(charge=charge_id, amount=refund_amount, api_key=self.api_key)
        charge = stripe.Charge.retrieve(charge_id, api_key=self.api_key)
        return [
            Delivery(
                "charge.refunded", charge.id, self.deliver("charge.refunded", charge), refund_amount
            )
        ]

    # --- subscriptions (Stripe Billing, simulated and served by the double) ---------------
    def subscribe(self) -> list[Delivery]:
        customer, deliveries = self._some_customer()
        now = self._now(customer)
        if not self.plans:
            self._create_catalog(now)
        trial = self.rng.random() < self.trial_share
        coupon = self.plans["welcome"] if self.rng.random() < 0.2 else None
        sub = self.billing.subscribe(
            customer.id,
            [(self.plans[self.rng.choice(("basic", "premium"))], 1)],
            at=now,
            trial_days=7 if trial else 0,
            coupon=coupon,
            payment_method=customer.good_card,
        )
        customer.subscriptions.append(sub)
        return deliveries + self._publish(customer.id)

    def change_plan(self) -> list[Delivery]:
        """An upgrade or a downgrade, prorated on the next invoice."""
        customer, sub = self._subscribed()
        if sub is None:
            return self.subscribe()
        state = self.billing.subscriptions[sub]
        premium = state.items[0]["price"]["id"] == self.plans["premium"]["id"]
        new_price = self.plans["basic" if premium else "premium"]
        self.billing.change_price(sub, at=self._now(customer), price=new_price)
        return self._publish(customer.id)

    def cancel(self) -> list[Delivery]:
        customer, sub = self._subscribed()
        if sub is None:
            return self.subscribe()
        at_period_end = self.rng.random() < 0.6
        self.billing.cancel(sub, at=self._now(customer), at_period_end=at_period_end)
        customer.subscriptions.remove(sub)
        return self._publish(customer.id)

    def _subscribed(self):
        candidates = [c for c in self.customers if c.subscriptions]
        if not candidates:
            return None, None
        customer = self.rng.choice(candidates)
        return customer, self.rng.choice(customer.subscriptions)

    def _now(self, customer: _LiveCustomer) -> int:
        # Never before the customer's last simulated action (the simulator's clock).
        return max(int(time.time()), self.billing.clock(customer.id) or 0)

    def _create_catalog(self, now: int) -> None:
        product = self.billing.product("Stridely Live", at=now)
        self.plans = {
            "basic": self.billing.price(product, 999, "usd", interval="month", at=now),
            "premium": self.billing.price(product, 1999, "usd", interval="month", at=now),
            "welcome": self.billing.coupon(percent_off=50, duration="once", at=now),
        }

    def _publish(self, customer_id: str) -> list[Delivery]:
        """Load the customer's (and the catalog's) objects into the double, then deliver
        the simulator's new events in order."""
        objects = self.billing.objects()
        invoice_ids = {i["id"] for i in objects["invoices"] if i["customer"] == customer_id}
        scoped = {
            name: [o for o in objects[name] if o.get("customer") == customer_id]
            for name in ("subscriptions", "discounts", "invoiceitems", "invoices")
        }
        scoped["invoice_payments"] = [
            p for p in objects["invoice_payments"] if p["invoice"] in invoice_ids
        ]
        scoped["payment_intents"] = [
            p for p in objects["payment_intents"] if p["customer"] == customer_id
        ]
        scoped["charges"] = [c for c in objects["charges"] if c["customer"] == customer_id]
        for name in ("products", "prices", "coupons"):
            scoped[name] = objects[name]
        response = self.session.post(
            f"{stripe.api_base}/_test/billing/objects",
            json=scoped,
            auth=(self.api_key or stripe.api_key, ""),
            timeout=30,
        )
        response.raise_for_status()
        events = self.billing.events[self._events_delivered :]
        self._events_delivered = len(self.billing.events)
        deliveries = []
        for event in events:
            status = webhook_delivery.deliver(
                self.webhook_url, event, self.webhook_secret, session=self.session
            ).status_code
            data = event["data"]["object"]
            amount = data.get("amount_paid", data.get("amount", 0)) or 0
            deliveries.append(Delivery(event["type"], data["id"], status, amount))
        return deliveries

    def step(self) -> list[Delivery]:
        roll = self.rng.random()
        if roll < 0.45:
            return self.pay()
        if roll < 0.57:
            return self.fail()
        if roll < 0.67:
            return self.refund()
        if roll < 0.85:
            return self.subscribe()
        if roll < 0.93:
            return self.change_plan()
        return self.cancel()

    def close(self) -> None:
        self.session.close()
