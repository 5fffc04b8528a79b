"""factory_boy factories for the warehouse tables (dj-stripe objects come from JSON payloads)."""

import datetime as dt

import factory
from django.conf import settings
from django.utils import timezone

from warehouse import models, services


class DimCustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.DimCustomer
        django_get_or_create = ("stripe_id",)

    stripe_id = factory.Sequence(lambda n: f"cus_test{n:08d}")
    user_id = factory.Sequence(lambda n: f"user-{n}")
    email = factory.LazyAttribute(lambda o: f"{o.user_id}@example.com")
    name = factory.Faker("name")
    country = "DE"
    address_postal_code = "01067"
    created = factory.LazyFunction(timezone.now)
    livemode = False


class DimPaymentMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.DimPaymentMethod
        django_get_or_create = ("stripe_id",)

    stripe_id = factory.Sequence(lambda n: f"pm_test{n:08d}")
    customer = factory.SubFactory(DimCustomerFactory)
    type = "card"
    card_brand = "visa"
    card_funding = "credit"
    card_last4 = "4242"
    card_exp_month = 12
    card_exp_year = 2030
    card_fingerprint = factory.Sequence(lambda n: f"fp{n:014d}")
    card_country = "DE"
    livemode = False


class FactTransactionFactory(factory.django.DjangoModelFactory):
    """A succeeded charge by default; settlement equals the charged amount unless given."""

    class Meta:
        model = models.FactTransaction

    stripe_id = factory.Sequence(lambda n: f"ch_test{n:08d}")
    transaction_type = models.FactTransaction.TransactionType.CHARGE
    status = "succeeded"
    charge_id = factory.LazyAttribute(lambda o: o.stripe_id)
    customer = factory.SubFactory(DimCustomerFactory)
    payment_method = None
    occurred_at = factory.LazyFunction(timezone.now)
    amount = 1000
    currency = "usd"
    settlement_amount = factory.LazyAttribute(lambda o: o.amount)
    fee = factory.LazyAttribute(
        lambda o: (o.settlement_amount or 0) * 29 // 1000 + 30 if o.amount > 0 else 0
    )
    net = factory.LazyAttribute(
        lambda o: None if o.settlement_amount is None else o.settlement_amount - o.fee
    )
    settlement_currency = "usd"
    livemode = False
    date_id = factory.LazyAttribute(lambda o: services.date_sk_for(o.occurred_at))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        services.ensure_dim_dates_for([kwargs["occurred_at"]])
        return super()._create(model_class, *args, **kwargs)


class DimClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.DimClient
        django_get_or_create = ("os_name", "app_name", "app_version", "device_name")

    os_name = "Android"
    app_name = "fitapp"
    app_version = "1.0.0"
    device_name = "Pixel 8"


class DimChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.DimChannel
        django_get_or_create = ("channel_name",)

    channel_name = factory.Sequence(lambda n: f"channel-{n}")
    channel_group = "paid"
    channel_label = factory.LazyAttribute(lambda o: o.channel_name.title())


class FactInstallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.FactInstall

    install_id = factory.Sequence(lambda n: f"install-{n:08d}")
    user_id = factory.Sequence(lambda n: f"user-{n}")
    device_id = factory.Sequence(lambda n: f"device-{n}")
    installed_at = factory.LazyFunction(timezone.now)
    client = factory.SubFactory(DimClientFactory)
    channel = factory.SubFactory(DimChannelFactory)
    country_code = "DE"
    ip_address = "203.0.113.7"
    date_id = factory.LazyAttribute(lambda o: services.date_sk_for(o.installed_at))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Through the install write path, so the pre-aggregates it keeps (user acquisition,
        # install days) hold these installs as they would in production.
        from warehouse.services.installs import INSTALL_FIELDS, upsert_install

        client, channel = kwargs.pop("client"), kwargs.pop("channel")
        kwargs.pop("date_id", None)
        row = dict.fromkeys(INSTALL_FIELDS, "")
        row.update(
            os_name=client.os_name,
            app_name=client.app_name,
            app_version=client.app_version,
            device_name=client.device_name,
            channel_name=channel.channel_name,
            channel_group=channel.channel_group,
            channel_label=channel.channel_label,
        )
        row.update({name: value for name, value in kwargs.items() if name in INSTALL_FIELDS})
        row["ip_address"] = row["ip_address"] or None
        if not upsert_install(row):
            raise ValueError(f"install {row['install_id']!r} already exists")
        return model_class.objects.get(install_id=row["install_id"])


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


class StripeEventReceiptFactory(factory.django.DjangoModelFactory):
    """A stored Stripe event; `payload` defaults to a minimal charge.succeeded envelope."""

    class Meta:
        model = "stripe_events.StripeEventReceipt"

    event_id = factory.Sequence(lambda n: f"evt_test{n:08d}")
    event_type = "charge.succeeded"
    livemode = False
    stripe_created = factory.LazyFunction(timezone.now)
    source = "webhook"
    status = "processed"
    payload = factory.LazyAttribute(
        lambda o: {
            "id": o.event_id,
            "object": "event",
            "type": o.event_type,
            "livemode": o.livemode,
            "created": int(o.stripe_created.timestamp()),
            "data": {"object": {"id": "ch_test", "object": "charge"}},
        }
    )


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    """dj-stripe's WebhookEndpoint row for this project's webhook URL at `base_url` (the live
    server's, or the test client's), with the known test secret and UUID (tests/settings.py)."""

    class Meta:
        model = "djstripe.WebhookEndpoint"

    class Params:
        base_url = "http://testserver"

    id = "we_" + "test" * 6
    livemode = False
    api_version = ""
    enabled_events = factory.LazyFunction(lambda: ["*"])
    secret = factory.LazyFunction(lambda: settings.STRIPE_WEBHOOK_SECRET)
    status = "enabled"
    url = factory.LazyAttribute(
        lambda o: f"{o.base_url}/stripe/webhook/{settings.STRIPE_WEBHOOK_UUID}/"
    )
    djstripe_uuid = factory.LazyFunction(lambda: settings.STRIPE_WEBHOOK_UUID)
