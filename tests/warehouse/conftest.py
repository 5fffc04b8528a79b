"""Payments fixtures: helpers that pay, refund and dispute through the Stripe API double."""

import pytest
import requests
import stripe

DECLINED_CARD = "4000000000000341"  # localstripe: attaches, then every charge is declined
GOOD_CARD = "4242424242424242"


class StripeShop:
    """Creates Stripe objects in the double, as the app's checkout would."""

    def __init__(self, base_url: str):
        self.base_url = base_url

    def customer(self, **fields):
        fields.setdefault("email", "ada@example.com")
        fields.setdefault("metadata", {"user_id": "u-1"})
        return stripe.Customer.create(**fields)

    def card(self, customer_id: str, number: str = GOOD_CARD):
        payment_method = stripe.PaymentMethod.create(
            type="card", card={"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}
        )
        return stripe.PaymentMethod.attach(payment_method.id, customer=customer_id)

    def pay(self, customer_id: str, payment_method_id: str, amount: int, currency: str = "eur"):
        """A confirmed PaymentIntent; returns (intent, charge) as the API shows them now."""
        try:
            intent = self._confirmed_intent(customer_id, payment_method_id, amount, currency)
        except stripe.CardError as exc:
            charge = stripe.Charge.retrieve(exc.error.charge)
            intent = (
                stripe.PaymentIntent.retrieve(charge.payment_intent)
                if charge.payment_intent
                else None
            )
            return intent, charge
        return intent, stripe.Charge.retrieve(intent.charges.data[0].id)

    def authorise(self, customer_id: str, payment_method_id: str, amount: int, currency="eur"):
        """A PaymentIntent confirmed with manual capture: its charge authorised, not captured
        yet; returns (the intent's id, the charge's id)."""
        intent = self._confirmed_intent(
            customer_id, payment_method_id, amount, currency, capture_method="manual"
        )
        return intent.id, intent.charges.data[0].id

    @staticmethod
    def _confirmed_intent(customer_id, payment_method_id, amount, currency, **options):
        return stripe.PaymentIntent.create(
            amount=amount,
            currency=currency,
            customer=customer_id,
            payment_method=payment_method_id,
            confirm=True,
            **options,
        )

    def pay_at(self, customer_id: str, payment_method_id: str, amount: int, moment, currency="eur"):
        """A charge (succeeded or declined) dated at `moment`, as the API shows it then."""
        _, charge = self.pay(customer_id, payment_method_id, amount, currency)
        self.backdate(charge, moment)
        return stripe.Charge.retrieve(charge.id)

    def refund(self, charge_id: str, amount: int | None = None):
        kwargs = {"charge": charge_id}
        if amount is not None:
            kwargs["amount"] = amount
        return stripe.Refund.create(**kwargs)

    def set_fields(self, object_name: str, object_id: str, **fields) -> dict:
        """Overwrite fields of an object in the double (POST /_test/objects/...)."""
        response = requests.post(
            f"{self.base_url}/_test/objects/{object_name}/{object_id}",
            json=fields,
            timeout=10,
            auth=(stripe.api_key, ""),
        )
        response.raise_for_status()
        return response.json()

    def backdate(self, api_object, moment) -> None:
        """Date a charge or refund, and its balance transaction, at `moment` (an aware
        datetime): Stripe dates both at the moment the money moved."""
        created = int(moment.timestamp())
        self.set_fields(api_object.object, api_object.id, created=created)
        if api_object.get("balance_transaction"):
            self.set_fields("balance_transaction", api_object.balance_transaction, created=created)

    def fail_refund(self, refund_id: str, reason: str = "lost_or_stolen_card") -> None:
        """A refund that had succeeded fails later (the card was closed): Stripe gives the
        money back to the account and marks the refund failed."""
        self.set_fields("refund", refund_id, status="failed", failure_reason=reason)

    def restate_settlement(
        self, balance_transaction_id: str, amount: int, currency: str, fee: int = 0
    ):
        response = requests.post(
            f"{self.base_url}/_test/balance_transactions/{balance_transaction_id}",
            json={"amount": amount, "currency": currency, "fee": fee},
            timeout=10,
            auth=(stripe.api_key, ""),
        )
        response.raise_for_status()
        return response.json()

    def open_dispute(self, charge_id: str, **fields) -> dict:
        response = requests.post(
            f"{self.base_url}/_test/disputes",
            json={"charge": charge_id, **fields},
            timeout=10,
            auth=(stripe.api_key, ""),
        )
        response.raise_for_status()
        return response.json()

    def close_dispute(self, dispute_id: str, status: str) -> dict:
        response = requests.post(
            f"{self.base_url}/_test/disputes/{dispute_id}/close",
            json={"status": status},
            timeout=10,
            auth=(stripe.api_key, ""),
        )
        response.raise_for_status()
        return response.json()


@pytest.fixture
def shop(stripe_double):
    return StripeShop(stripe_double)


@pytest.fixture
def deliver_ok(deliver_event, stripe_event):
    """Deliver `type` for an API object and insist on a 2xx (with the trigger's traceback if
    not)."""

    def deliver(event_type, data_object, **kwargs):
        event = stripe_event(event_type, data_object, **kwargs)
        response = deliver_event(event)
        if response.status_code != 200:
            from djstripe.models import WebhookEventTrigger

            trigger = WebhookEventTrigger.objects.order_by("-id").first()
            raise AssertionError(
                f"{event_type}: HTTP {response.status_code}\n{trigger and trigger.traceback}"
            )
        return event

    return deliver


def warehouse_snapshot() -> dict:
    """Every payments warehouse row, without surrogate keys and write times, for comparisons."""
    from warehouse.models import DimCustomer, DimPaymentMethod, FactCustomerMonth, FactTransaction

    def rows(model, key, exclude=("updated_at",)):
        fields = [f.attname for f in model._meta.concrete_fields if f.attname not in exclude]
        return sorted(
            (tuple(row[name] for name in fields) for row in model.objects.values(*fields)),
            key=lambda row: tuple(str(part) for part in row[: len(key)]),
        )

    return {
        "dim_customer": rows(DimCustomer, ["stripe_id"]),
        "dim_payment_method": rows(DimPaymentMethod, ["stripe_id"]),
        "fact_transaction": rows(
            FactTransaction,
            ["stripe_id", "transaction_type"],
            exclude=("updated_at", "transaction_sk"),
        ),
        "fact_customer_month": rows(
            FactCustomerMonth, ["customer_id", "month"], exclude=("updated_at", "customer_month_sk")
        ),
        **report_aggregates_snapshot(),
    }


def report_aggregates_snapshot() -> dict:
    """fact_month, fact_cohort_month, fact_follow_month, fact_customer_lifetime,
    fact_last_payment_month, fact_customer_day and fact_day as plain dicts keyed by their
    grain. All-zero aggregate rows mean "no activity" (delta maintenance can leave them
    where a full recompute writes none), so they are left out."""
    from warehouse.models import (
        FactCohortMonth,
        FactCustomerDay,
        FactCustomerLifetime,
        FactDay,
        FactFollowMonth,
        FactLastPaymentMonth,
        FactMonth,
    )

    def keyed(model, key, exclude=()):
        fields = [
            f.attname for f in model._meta.concrete_fields if f.attname not in (*key, *exclude)
        ]
        return {
            tuple(row[name] for name in key): {name: row[name] for name in fields}
            for row in model.objects.values(*key, *fields)
            if any(row[name] for name in fields)
        }

    return {
        "fact_month": keyed(FactMonth, ["month"]),
        "fact_cohort_month": keyed(
            FactCohortMonth, ["cohort_month", "month"], exclude=("cohort_month_sk",)
        ),
        "fact_follow_month": keyed(
            FactFollowMonth, ["paid_month", "month"], exclude=("follow_month_sk",)
        ),
        "fact_customer_lifetime": keyed(FactCustomerLifetime, ["customer_id"]),
        "fact_last_payment_month": keyed(
            FactLastPaymentMonth,
            ["last_payment_month", "last_activity_month"],
            exclude=("last_payment_month_sk",),
        ),
        "fact_customer_day": keyed(
            FactCustomerDay, ["customer_id", "day"], exclude=("customer_day_sk",)
        ),
        "fact_day": keyed(FactDay, ["day"]),
    }
