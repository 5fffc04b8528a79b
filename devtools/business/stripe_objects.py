"""The business's records (devtools/business/generator.py) as Stripe's API returns them.

The demo syncs these through dj-stripe's `sync_from_stripe_data`; the benchmark stores the
same objects in dj-stripe's `stripe_data` columns (devtools/business/copy_rows.py). Charges
carry their balance transaction and refunds expanded, disputes their balance transactions,
so dj-stripe never needs the Stripe API to store them. Install records become rows of the
install file format (warehouse/install_format.py).
"""

import datetime as dt

from devtools.business.generator import Card, Charge, Customer, Dispute, Install, Movement, Refund
from devtools.business.model import SETTLEMENT_CURRENCY, ts


def install_row(install: Install) -> dict:
    """The install as a row of the install file format (all strings)."""
    channel = install.channel
    return {
        "install_id": install.install_id,
        "user_id": install.user_id,
        "device_id": install.device_id,
        "installed_at": install.installed_at.isoformat(),
        "os_name": install.os_name,
        "app_name": install.app_name,
        "app_version": install.app_version,
        "device_name": install.device_name,
        "channel_name": channel.name,
        "channel_group": channel.group,
        "channel_label": channel.label,
        "country_code": install.country_code,
        "network_name": channel.network,
        "campaign_name": install.campaign_name,
        "adgroup_name": install.adgroup_name,
        "creative_name": install.creative_name,
        "campaign_id": install.campaign_id,
        "adgroup_id": install.adgroup_id,
        "creative_id": install.creative_id,
        "ip_address": install.ip_address,
    }


def customer_shape(
    customer_id: str, created: int, *, address, currency, email, invoice_prefix, metadata, name
) -> dict:
    """A Stripe customer object (also the Billing engine's minimal customers)."""
    return {
        "id": customer_id,
        "object": "customer",
        "address": address,
        "balance": 0,
        "created": created,
        "currency": currency,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "email": email,
        "invoice_prefix": invoice_prefix,
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
        "livemode": False,
        "metadata": metadata,
        "name": name,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }


def customer_object(customer: Customer, metadata: dict) -> dict:
    address = {
        "city": customer.city,
        "country": customer.user.country,
        "line1": customer.line1,
        "line2": None,
        "postal_code": customer.postal_code,
        "state": customer.state or None,
    }
    shape = customer_shape(
        customer.id,
        ts(customer.created),
        address=address,
        currency=customer.currency,
        email=customer.email,
        invoice_prefix=customer.invoice_prefix,
        metadata=metadata,
        name=f"{customer.first_name} {customer.last_name}",
    )
    return {**shape, "discount": None}


def payment_method_object(card: Card, customer: dict) -> dict:
    """The card as a payment method of `customer` (its Stripe object)."""
    wallet = None
    if card.wallet:
        wallet = {card.wallet: {}, "dynamic_last4": card.dynamic_last4, "type": card.wallet}
    return {
        "id": card.id,
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": {
            "address": customer["address"],
            "email": customer["email"],
            "name": customer["name"],
            "phone": None,
        },
        "card": {
            "brand": card.brand,
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": "pass",
                "cvc_check": "pass",
            },
            "country": card.country,
            "display_brand": card.brand,
            "exp_month": card.exp_month,
            "exp_year": card.exp_year,
            "fingerprint": card.fingerprint,
            "funding": card.funding,
            "generated_from": None,
            "last4": card.last4,
            "networks": {"available": [card.brand], "preferred": None},
            "three_d_secure_usage": {"supported": True},
            "wallet": wallet,
        },
        "created": ts(card.created),
        "customer": card.customer_id,
        "livemode": False,
        "metadata": {},
        "type": "card",
    }


def card_details(payment_method: dict) -> dict:
    """What Stripe copies of a card onto each charge (`payment_method_details`)."""
    card = payment_method["card"]
    return {
        "card": {
            "brand": card["brand"],
            "country": card["country"],
            "exp_month": card["exp_month"],
            "exp_year": card["exp_year"],
            "fingerprint": card["fingerprint"],
            "funding": card["funding"],
            "last4": card["last4"],
            "network": card["brand"],
            "wallet": card["wallet"],
        },
        "type": "card",
    }


def decorate_charge(charge: dict, payment_method: dict, customer: dict) -> None:
    """The card details Stripe copies onto each charge of an invoice payment (the Billing
    engine leaves them out)."""
    charge["billing_details"] = payment_method["billing_details"]
    charge["calculated_statement_descriptor"] = "STRIDELY"
    charge["receipt_email"] = customer["email"]
    charge["payment_method_details"] = card_details(payment_method)


def balance_transaction(movement: Movement, *, source, bt_type, category, description, end) -> dict:
    fee = movement.fee
    fee_details = []
    if fee:
        fee_details.append(
            {
                "amount": fee,
                "application": None,
                "currency": SETTLEMENT_CURRENCY,
                "description": "Stripe processing fees" if bt_type == "charge" else "Dispute fee",
                "type": "stripe_fee",
            }
        )
    available = movement.moment + dt.timedelta(days=2)
    return {
        "id": movement.id,
        "object": "balance_transaction",
        "amount": movement.settled,
        "available_on": ts(available),
        "created": ts(movement.moment),
        "currency": SETTLEMENT_CURRENCY,
        "description": description,
        "exchange_rate": movement.rate,
        "fee": fee,
        "fee_details": fee_details,
        "net": movement.settled - fee,
        "reporting_category": category,
        "source": source,
        "status": "available" if available <= end else "pending",
        "type": bt_type,
    }


def one_off_charge_object(charge: Charge, payment_method: dict, end) -> dict:
    """A card payment outside Billing (no invoice, no payment intent), refunds to come."""
    failed = charge.failure is not None
    failure_code, failure_message = charge.failure or (None, None)
    return {
        "id": charge.id,
        "object": "charge",
        "amount": charge.amount,
        "amount_captured": 0 if failed else charge.amount,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": None
        if failed
        else balance_transaction(
            charge.movement,
            source=charge.id,
            bt_type="charge",
            category="charge",
            description=None,
            end=end,
        ),
        "billing_details": payment_method["billing_details"],
        "captured": not failed,
        "created": ts(charge.moment),
        "currency": charge.currency,
        "customer": charge.customer.id,
        "description": None,
        "disputed": False,
        "failure_code": failure_code,
        "failure_message": failure_message,
        "fraud_details": {},
        "invoice": None,
        "livemode": False,
        "metadata": {},
        "outcome": {
            "network_status": "declined_by_network" if failed else "approved_by_network",
            "type": "issuer_declined" if failed else "authorized",
            "risk_level": "normal",
            "seller_message": "",
        },
        "paid": not failed,
        "payment_intent": None,
        "payment_method": charge.card.id,
        "payment_method_details": card_details(payment_method),
        "receipt_email": None,
        "receipt_url": None,
        "refunded": False,
        "refunds": no_refunds(charge.id),
        "status": "failed" if failed else "succeeded",
    }


def no_refunds(charge_id: str) -> dict:
    """A new charge's `refunds` list (also the Billing engine's charges)."""
    return {
        "object": "list",
        "data": [],
        "has_more": False,
        "total_count": 0,
        "url": f"/v1/charges/{charge_id}/refunds",
    }


def refund_shape(refund_id, amount, balance_transaction, charge, created, reason) -> dict:
    """A Stripe refund object of `charge` (also the Billing engine's refunds)."""
    return {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "balance_transaction": balance_transaction,
        "charge": charge["id"],
        "created": created,
        "currency": charge["currency"],
        "metadata": {},
        "payment_intent": charge.get("payment_intent"),
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


def refund_object(refund: Refund, charge: dict, end) -> dict:
    movement = balance_transaction(
        refund.movement,
        source=refund.id,
        bt_type="refund",
        category="refund",
        description="REFUND FOR CHARGE",
        end=end,
    )
    return refund_shape(
        refund.id, refund.amount, movement, charge, ts(refund.moment), refund.reason
    )


def dispute_object(dispute: Dispute, charge: dict, end) -> dict:
    charge_id = charge["id"]
    transactions = [
        balance_transaction(
            movement,
            source=dispute.id,
            bt_type="adjustment",
            category=category,
            description=f"Chargeback {what} for {charge_id}",
            end=end,
        )
        for movement, category, what in (
            (dispute.withdrawal, "dispute", "withdrawal"),
            (dispute.reinstatement, "dispute_reversal", "reversal"),
        )
        if movement
    ]
    status = dispute.status
    return {
        "id": dispute.id,
        "object": "dispute",
        "amount": dispute.amount,
        "balance_transactions": transactions,
        "charge": charge_id,
        "created": ts(dispute.opened),
        "currency": dispute.currency,
        "evidence": {
            "customer_email_address": charge["receipt_email"],
            "uncategorized_text": None,
        },
        "evidence_details": {
            "due_by": ts(dispute.opened + dt.timedelta(days=21)),
            "has_evidence": status in ("won", "lost", "under_review"),
            "past_due": False,
            "submission_count": 1 if status != "needs_response" else 0,
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": None,
        "reason": dispute.reason,
        "status": status,
    }


def apply_outcome(charge: dict, outcome, end) -> dict | None:
    """Record a charge's Refund or Dispute on its object (as Stripe shows the charge after
    it); returns the dispute's object, which is synced on its own."""
    if isinstance(outcome, Refund):
        refund = refund_object(outcome, charge, end)
        charge["refunds"]["data"].append(refund)
        charge["refunds"]["total_count"] += 1
        charge["amount_refunded"] += refund["amount"]
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
    elif isinstance(outcome, Dispute):
        dispute = dispute_object(outcome, charge, end)
        charge["disputed"] = True
        charge["dispute"] = outcome.id
        return dispute
    return None
