"""Read-only admin for the warehouse: staff browse it, only the warehouse services write it.

Fact rows link to their dimension rows and to the dj-stripe object they come from. The
dj-stripe primary key (djstripe_id) is looked up by Stripe id in the changelist's own query
(a correlated subquery per row), so a page costs a fixed number of queries.
"""

import datetime as dt

from django.contrib import admin
from django.contrib.admin.utils import quote
from django.db import models as db_models
from django.db.models import Case, OuterRef, Subquery, When
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from djstripe import models as djstripe_models

from stripe_dwh.read_only_admin import ReadOnlyAdminMixin
from warehouse import models
from warehouse.calendar import month_start, reporting_today
from warehouse.money import format_minor_units

T = models.FactTransaction.TransactionType


def admin_change_url(model, pk) -> str:
    # quote(): ids from data may hold "/", "_" or control characters (a newline in an
    # install_id made the changelist raise NoReverseMatch); the change view unquotes them.
    return reverse(
        f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[quote(pk)]
    )


def admin_changelist_url(model, **filters) -> str:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return f"{url}?{urlencode(filters)}" if filters else url


def link(url: str, text) -> str:
    return format_html('<a href="{}">{}</a>', url, text)


def djstripe_pk_by_stripe_id(djstripe_model, stripe_id_field: str = "stripe_id") -> Subquery:
    """The dj-stripe row (its djstripe_id) whose Stripe id is in `stripe_id_field`."""
    return Subquery(
        djstripe_model.objects.filter(id=OuterRef(stripe_id_field)).values("djstripe_id")[:1],
        output_field=db_models.BigIntegerField(),
    )


def djstripe_link(djstripe_model, djstripe_pk, stripe_id: str) -> str:
    """A link to the dj-stripe admin page of the object, or its bare Stripe id when dj-stripe
    does not hold it (for example, rows loaded before the object was synced)."""
    if not stripe_id:
        return ""
    if djstripe_pk is None:
        return stripe_id
    return link(admin_change_url(djstripe_model, djstripe_pk), stripe_id)


def foreign_key_link(field: str, model, ordering: str | None = None):
    """A changelist column headed by the field's name: a link to the admin page of the `model`
    row that the foreign key `field` points to, its text the related row's (list the field in
    list_select_related); empty when the key is null."""

    @admin.display(description=field.replace("_", " "), ordering=ordering)
    def column(self, obj):
        pk = getattr(obj, f"{field}_id")
        if pk is None:
            return None
        return link(admin_change_url(model, pk), getattr(obj, field))

    return column


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """View-only: no add, change or delete for anyone, and no bulk actions."""

    actions = None
    list_per_page = 100
    # Counting a big fact table on every page view is the slow part of a changelist.
    show_full_result_count = False


# The account's settlement currency: that of the latest settled movement. Not correlated with
# the outer row, so PostgreSQL computes it once per changelist query (an InitPlan).
SETTLEMENT_CURRENCY = Subquery(
    models.FactTransaction.objects.exclude(settlement_currency="")
    .order_by("-occurred_at")
    .values("settlement_currency")[:1],
    output_field=db_models.CharField(),
)


def this_month() -> dt.date:
    return month_start(reporting_today())


class AggregateAdmin(ReadOnlyAdmin):
    """The aggregate tables: money in major units with the settlement currency, months as
    YYYY-MM, and no row of a month after the current one (a month ahead can hold the
    customers who will have churned by then)."""

    money_fields: tuple[str, ...] = ()
    month_fields: tuple[str, ...] = ()
    activity_month_field = "month"  # rows after the current month are hidden

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for field in cls.money_fields:
            setattr(cls, f"{field}_display", cls._money_column(field))
        for field in cls.month_fields:
            setattr(cls, f"{field}_display", cls._month_column(field))
        shown = set(cls.money_fields) | set(cls.month_fields)
        cls.list_display = [
            f"{name}_display" if name in shown else name for name in cls.list_display
        ]

    @staticmethod
    def _money_column(field):
        @admin.display(description=field.replace("_", " "), ordering=field)
        def column(self, obj):
            return format_minor_units(getattr(obj, field), obj.settlement_currency_code or "usd")

        return column

    @staticmethod
    def _month_column(field):
        @admin.display(description=field.replace("_", " "), ordering=field)
        def column(self, obj):
            value = getattr(obj, field)
            return value.strftime("%Y-%m") if value else ""

        return column

    def get_queryset(self, request):
        queryset = (
            super().get_queryset(request).annotate(settlement_currency_code=SETTLEMENT_CURRENCY)
        )
        if self.activity_month_field:
            queryset = queryset.filter(**{f"{self.activity_month_field}__lte": this_month()})
        return queryset


@admin.register(models.DimDate)
class DimDateAdmin(ReadOnlyAdmin):
    list_display = [
        "date_sk",
        "date",
        "year",
        "quarter",
        "month",
        "iso_year",
        "iso_week",
        "weekday",
        "month_start",
    ]
    list_filter = ["year", "quarter", "weekday"]
    date_hierarchy = "date"


@admin.register(models.DimCustomer)
class DimCustomerAdmin(ReadOnlyAdmin):
    list_display = [
        "stripe_id",
        "user_id",
        "email",
        "name",
        "country",
        "created",
        "first_payment_at",
        "last_payment_at",
        "deleted",
        "stripe_customer",
        "related",
    ]
    list_filter = ["country", "deleted", "livemode", "first_payment_at", "created"]
    search_fields = ["stripe_id", "email", "user_id", "name"]
    date_hierarchy = "created"
    readonly_fields = ["stripe_customer", "related"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(djstripe_pk=djstripe_pk_by_stripe_id(djstripe_models.Customer))
        )

    @admin.display(description="dj-stripe")
    def stripe_customer(self, obj):
        return djstripe_link(djstripe_models.Customer, obj.djstripe_pk, obj.stripe_id)

    @admin.display(description="see")
    def related(self, obj):
        links = [
            link(
                admin_changelist_url(
                    models.FactTransaction, customer__stripe_id__exact=obj.stripe_id
                ),
                "transactions",
            ),
            link(
                admin_changelist_url(
                    models.FactCustomerMonth, customer__stripe_id__exact=obj.stripe_id
                ),
                "months",
            ),
        ]
        if obj.user_id:
            links.append(
                link(
                    admin_changelist_url(models.FactInstall, user_id=obj.user_id),
                    "installs",
                )
            )
        return format_html(" · ".join(["{}"] * len(links)), *links)


@admin.register(models.DimPaymentMethod)
class DimPaymentMethodAdmin(ReadOnlyAdmin):
    list_display = [
        "stripe_id",
        "customer_link",
        "type",
        "card_brand",
        "card_funding",
        "card_last4",
        "card_expiry",
        "card_country",
        "wallet",
        "detached",
        "stripe_object",
    ]
    list_filter = [
        "type",
        "card_brand",
        "card_funding",
        "wallet",
        "card_country",
        "detached",
        "livemode",
    ]
    search_fields = [
        "stripe_id",
        "customer__stripe_id",
        "customer__email",
        "customer__user_id",
        "card_last4",
    ]
    list_select_related = ["customer"]
    readonly_fields = ["stripe_object"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                djstripe_payment_method_pk=djstripe_pk_by_stripe_id(djstripe_models.PaymentMethod),
                djstripe_card_pk=djstripe_pk_by_stripe_id(djstripe_models.Card),
            )
        )

    customer_link = foreign_key_link("customer", models.DimCustomer, ordering="customer__email")

    @admin.display(description="expires")
    def card_expiry(self, obj):
        if obj.card_exp_month is None or obj.card_exp_year is None:
            return None
        return f"{obj.card_exp_month:02d}/{obj.card_exp_year}"

    @admin.display(description="dj-stripe")
    def stripe_object(self, obj):
        # Charges made with a legacy card or source name a card_… id instead of a pm_… one.
        if obj.djstripe_card_pk is not None:
            return djstripe_link(djstripe_models.Card, obj.djstripe_card_pk, obj.stripe_id)
        return djstripe_link(
            djstripe_models.PaymentMethod, obj.djstripe_payment_method_pk, obj.stripe_id
        )


DJSTRIPE_MODEL_BY_TRANSACTION_TYPE = {
    T.CHARGE: djstripe_models.Charge,
    T.REFUND: djstripe_models.Refund,
    T.DISPUTE_WITHDRAWAL: djstripe_models.Dispute,
    T.DISPUTE_REINSTATEMENT: djstripe_models.Dispute,
}


@admin.register(models.FactTransaction)
class FactTransactionAdmin(ReadOnlyAdmin):
    list_display = [
        "occurred_at",
        "transaction_type",
        "status",
        "amount_display",
        "currency",
        "settlement_display",
        "fee_display",
        "customer_link",
        "payment_method_link",
        "stripe_object",
        "charge_link",
        "failure_code",
    ]
    list_filter = [
        "occurred_at",
        "transaction_type",
        "status",
        "currency",
        "settlement_currency",
        "livemode",
    ]
    search_fields = [
        "stripe_id",
        "charge_id",
        "balance_transaction_id",
        "customer__stripe_id",
        "customer__email",
        "customer__user_id",
    ]
    list_select_related = ["customer", "payment_method"]
    date_hierarchy = "occurred_at"
    readonly_fields = ["stripe_object", "charge_link", "amount_display", "settlement_display"]

    def get_queryset(self, request):
        by_type = [
            When(transaction_type=transaction_type, then=djstripe_pk_by_stripe_id(djstripe_model))
            for transaction_type, djstripe_model in DJSTRIPE_MODEL_BY_TRANSACTION_TYPE.items()
        ]
        return (
            super()
            .get_queryset(request)
            .annotate(
                djstripe_pk=Case(*by_type, default=None, output_field=db_models.BigIntegerField()),
                djstripe_charge_pk=djstripe_pk_by_stripe_id(djstripe_models.Charge, "charge_id"),
            )
        )

    @admin.display(description="amount", ordering="amount")
    def amount_display(self, obj):
        return format_minor_units(obj.amount, obj.currency)

    @admin.display(description="settled", ordering="settlement_amount")
    def settlement_display(self, obj):
        return format_minor_units(obj.settlement_amount, obj.settlement_currency)

    @admin.display(description="fee", ordering="fee")
    def fee_display(self, obj):
        return format_minor_units(obj.fee, obj.settlement_currency)

    customer_link = foreign_key_link("customer", models.DimCustomer, ordering="customer__email")

    payment_method_link = foreign_key_link("payment_method", models.DimPaymentMethod)

    @admin.display(description="dj-stripe")
    def stripe_object(self, obj):
        return djstripe_link(
            DJSTRIPE_MODEL_BY_TRANSACTION_TYPE[obj.transaction_type], obj.djstripe_pk, obj.stripe_id
        )

    @admin.display(description="charge")
    def charge_link(self, obj):
        if obj.transaction_type == T.CHARGE:
            return None
        return djstripe_link(djstripe_models.Charge, obj.djstripe_charge_pk, obj.charge_id)


@admin.register(models.FactCustomerMonth)
class FactCustomerMonthAdmin(AggregateAdmin):
    money_fields = ("gross", "refunds", "disputes", "net", "fees")
    month_fields = ("month", "first_payment_month")
    list_display = [
        "month",
        "customer_link",
        "first_payment_month",
        "gross",
        "refunds",
        "disputes",
        "net",
        "fees",
        "charge_count",
        "failed_charge_count",
    ]
    list_filter = ["month", "first_payment_month", "customer__country"]
    search_fields = ["customer__stripe_id", "customer__email", "customer__user_id"]
    list_select_related = ["customer"]
    date_hierarchy = "month"

    customer_link = foreign_key_link("customer", models.DimCustomer, ordering="customer__email")


@admin.register(models.FactMonth)
class FactMonthAdmin(AggregateAdmin):
    money_fields = ("gross", "refunds", "disputes", "net", "fees")
    month_fields = ("month",)
    list_display = [
        "month",
        "paying_customers",
        "new_customers",
        "retained_customers",
        "returning_customers",
        "churned_customers",
        "gross",
        "refunds",
        "disputes",
        "net",
        "fees",
        "charge_count",
        "failed_charge_count",
    ]
    date_hierarchy = "month"


@admin.register(models.FactCohortMonth)
class FactCohortMonthAdmin(AggregateAdmin):
    money_fields = ("net",)
    month_fields = ("cohort_month", "month")
    list_display = ["cohort_month", "month", "paying_customers", "net"]
    list_filter = ["cohort_month"]


@admin.register(models.FactFollowMonth)
class FactFollowMonthAdmin(AggregateAdmin):
    money_fields = ("net",)
    month_fields = ("paid_month", "month")
    list_display = ["paid_month", "month", "paying_customers", "net"]
    list_filter = ["paid_month"]


@admin.register(models.FactLastPaymentMonth)
class FactLastPaymentMonthAdmin(AggregateAdmin):
    month_fields = ("last_payment_month", "last_activity_month")
    activity_month_field = "last_activity_month"
    list_display = ["last_payment_month", "last_activity_month", "customers"]
    list_filter = ["last_payment_month"]


@admin.register(models.FactCustomerLifetime)
class FactCustomerLifetimeAdmin(AggregateAdmin):
    money_fields = ("total_net",)
    month_fields = ("first_payment_month", "last_payment_month", "last_activity_month")
    activity_month_field = ""
    list_display = [
        "customer_link",
        "first_payment_month",
        "last_payment_month",
        "last_activity_month",
        "active_months",
        "total_net",
    ]
    search_fields = ["customer__stripe_id", "customer__email", "customer__user_id"]
    list_select_related = ["customer"]

    customer_link = foreign_key_link("customer", models.DimCustomer, ordering="customer__email")


@admin.register(models.FactUserAcquisition)
class FactUserAcquisitionAdmin(ReadOnlyAdmin):
    list_display = ["user_id", "install_link", "installed_at", "channel_link", "client_link"]
    list_filter = ["channel", "client__os_name"]
    search_fields = ["user_id", "install__install_id"]
    list_select_related = ["channel", "client"]
    date_hierarchy = "installed_at"

    @admin.display(description="first install", ordering="install_id")
    def install_link(self, obj):
        return link(admin_change_url(models.FactInstall, obj.install_id), obj.install_id)

    channel_link = foreign_key_link("channel", models.DimChannel, ordering="channel__channel_name")

    client_link = foreign_key_link("client", models.DimClient, ordering="client__os_name")


@admin.register(models.FactInstallDay)
class FactInstallDayAdmin(ReadOnlyAdmin):
    list_display = ["date", "channel", "os_name", "installs"]
    list_filter = ["channel", "os_name"]
    list_select_related = ["date", "channel"]


@admin.register(models.DimClient)
class DimClientAdmin(ReadOnlyAdmin):
    list_display = [
        "client_sk",
        "os_name",
        "app_name",
        "app_version",
        "device_name",
        "installs_link",
    ]
    list_filter = ["os_name", "app_name", "app_version"]
    search_fields = ["os_name", "app_name", "app_version", "device_name"]

    @admin.display(description="installs")
    def installs_link(self, obj):
        return link(
            admin_changelist_url(models.FactInstall, client__client_sk__exact=obj.client_sk),
            "installs",
        )


@admin.register(models.DimChannel)
class DimChannelAdmin(ReadOnlyAdmin):
    list_display = ["channel_sk", "channel_name", "channel_group", "channel_label", "installs_link"]
    list_filter = ["channel_group"]
    search_fields = ["channel_name", "channel_label", "channel_group"]

    @admin.display(description="installs")
    def installs_link(self, obj):
        return link(
            admin_changelist_url(models.FactInstall, channel__channel_sk__exact=obj.channel_sk),
            "installs",
        )


@admin.register(models.FactInstall)
class FactInstallAdmin(ReadOnlyAdmin):
    list_display = [
        "install_id",
        "user_link",
        "installed_at",
        "channel_link",
        "client_link",
        "os_name",
        "country_code",
        "network_name",
        "campaign_name",
        "ip_address",
    ]
    list_filter = ["installed_at", "channel", "client__os_name", "country_code"]
    search_fields = ["install_id", "user_id", "device_id", "campaign_name", "campaign_id"]
    list_select_related = ["channel", "client"]
    date_hierarchy = "installed_at"
    readonly_fields = ["user_link"]

    @admin.display(description="user", ordering="user_id")
    def user_link(self, obj):
        # No foreign key: a user may install before (or without) becoming a Stripe customer.
        return link(admin_changelist_url(models.DimCustomer, user_id=obj.user_id), obj.user_id)

    channel_link = foreign_key_link("channel", models.DimChannel, ordering="channel__channel_name")

    client_link = foreign_key_link("client", models.DimClient)

    @admin.display(description="OS", ordering="client__os_name")
    def os_name(self, obj):
        return obj.client.os_name
