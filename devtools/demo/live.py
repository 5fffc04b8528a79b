"""A live stream of payments through the Stripe API double, delivered as signed webhooks.

Each `step()` does one thing a real business sees every few seconds: a customer pays, a
payment fails (a card that the issuer declines) or a customer is refunded. It happens in the
Stripe API double through stripe-python (so dj-stripe can re-retrieve the objects from
there), and the matching event (`charge.succeeded`, `charge.failed`, `charge.refunded`, and
`customer.created` for a new customer) is delivered to the webhook endpoint over HTTP, signed
with the endpoint's secret exactly as Stripe signs it. Nothing here touches the database:
the web server's webhook path does all the writing.
"""

import random
from dataclasses import dataclass, field

import requests
import stripe

from devtools import webhook_delivery

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

    def step(self) -> list[Delivery]:
        roll = self.rng.random()
        if roll < 0.65:
            return self.pay()
        if roll < 0.82:
            return self.fail()
        return self.refund()

    def close(self) -> None:
        self.session.close()
