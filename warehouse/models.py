"""The warehouse: a star schema over what dj-stripe syncs, plus app-install attribution.

Dimensions are keyed by their natural key (the Stripe id, the calendar day) where one
serves; surrogate keys (`*_sk`) only where none does. Facts reference dimensions with
real (deferred) foreign keys, so a fact never points at a missing dimension row.
Money is stored in integer minor units of its currency; signed, so net is a plain SUM.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models


class DimDate(models.Model):
    """One row per calendar day. `date_sk` is the day as the integer YYYYMMDD."""

    date_sk = models.IntegerField(primary_key=True)
    date = models.DateField(unique=True)
    year = models.SmallIntegerField()
    quarter = models.SmallIntegerField()
    month = models.SmallIntegerField()
    iso_year = models.SmallIntegerField()
    iso_week = models.SmallIntegerField()
    weekday = models.SmallIntegerField(help_text="ISO weekday: 1 = Monday … 7 = Sunday.")
    month_start = models.DateField(db_index=True)

    class Meta:
        db_table = "dim_date"
        ordering = ["date_sk"]
        verbose_name = "date"

    def __str__(self):
        return self.date.isoformat()


class DimCustomer(models.Model):
    """One row per Stripe customer, keyed by its Stripe id (cus_…)."""

    stripe_id = models.CharField(max_length=255, primary_key=True)
    # NULL, not "", when the customer carries no user id: the unique join key to installs
    # must not make every customer without one equal.
    user_id = models.CharField(  # noqa: DJ001
        max_length=255,
        blank=True,
        null=True,
        db_index=True,
        help_text="The app's user id, from the customer's metadata "
        "(settings.WAREHOUSE_USER_ID_METADATA_KEY); joins to fact_install.user_id.",
    )
    email = models.CharField(max_length=255, blank=True, default="")
    name = models.CharField(max_length=255, blank=True, default="")
    country = models.CharField(max_length=2, blank=True, default="")
    address_line1 = models.CharField(max_length=255, blank=True, default="")
    address_line2 = models.CharField(max_length=255, blank=True, default="")
    address_city = models.CharField(max_length=255, blank=True, default="")
    address_state = models.CharField(max_length=255, blank=True, default="")
    # Text, never an integer: postal codes keep their leading zeros and letters.
    address_postal_code = models.CharField(max_length=32, blank=True, default="")
    created = models.DateTimeField(null=True, blank=True)
    deleted = models.BooleanField(default=False)
    first_payment_at = models.DateTimeField(null=True, blank=True)
    last_payment_at = models.DateTimeField(null=True, blank=True)
    livemode = models.BooleanField(null=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "dim_customer"
        ordering = ["stripe_id"]
        verbose_name = "customer"
        # The customer search (reports/sql/customer_search.sql) reads dim_customer through three
        # expression indexes with text_pattern_ops, created in SQL by migration
        # 0017_customer_search_indexes (Django's OpClass needs django.contrib.postgres):
        # lower(email), split_part(lower(email), '@', 2) and lower(name).

    def __str__(self):
        return self.email or self.stripe_id


class DimPaymentMethod(models.Model):
    """One row per Stripe payment method (pm_…, or a card/source id used by a charge)."""

    stripe_id = models.CharField(max_length=255, primary_key=True)
    customer = models.ForeignKey(
        DimCustomer, on_delete=models.PROTECT, null=True, blank=True, related_name="payment_methods"
    )
    type = models.CharField(max_length=64, blank=True, default="")
    card_brand = models.CharField(max_length=32, blank=True, default="")
    card_funding = models.CharField(max_length=32, blank=True, default="")
    card_last4 = models.CharField(max_length=4, blank=True, default="")
    card_exp_month = models.SmallIntegerField(null=True, blank=True)
    card_exp_year = models.SmallIntegerField(null=True, blank=True)
    card_fingerprint = models.CharField(max_length=64, blank=True, default="")
    card_country = models.CharField(max_length=2, blank=True, default="")
    wallet = models.CharField(max_length=32, blank=True, default="")
    created = models.DateTimeField(null=True, blank=True)
    detached = models.BooleanField(default=False)
    livemode = models.BooleanField(null=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "dim_payment_method"
        ordering = ["stripe_id"]
        verbose_name = "payment method"

    def __str__(self):
        if self.card_last4:
            return f"{self.card_brand} •••• {self.card_last4}"
        return self.stripe_id


class FactTransaction(models.Model):
    """One row per money movement: a charge attempt, a refund, or a dispute's funds
    withdrawn or reinstated. Unique on (stripe_id, transaction_type).

    `amount` is as charged (minor units of `currency`); `settlement_amount`, `fee` and
    `net` come from the balance transaction (minor units of `settlement_currency`) when
    one exists. Refunds and dispute withdrawals are negative.
    """

    class TransactionType(models.TextChoices):
        CHARGE = "charge", "Charge"
        REFUND = "refund", "Refund"
        DISPUTE_WITHDRAWAL = "dispute_withdrawal", "Dispute: funds withdrawn"
        DISPUTE_REINSTATEMENT = "dispute_reinstatement", "Dispute: funds reinstated"

    transaction_sk = models.BigAutoField(primary_key=True)
    stripe_id = models.CharField(max_length=255, help_text="ch_…, re_… or dp_…")
    transaction_type = models.CharField(max_length=32, choices=TransactionType.choices)
    status = models.CharField(max_length=32, blank=True, default="")
    charge_id = models.CharField(
        max_length=255,
        blank=True,
        default="",
        db_index=True,
        help_text="The charge a refund or dispute belongs to (the charge itself for charges).",
    )
    customer = models.ForeignKey(
        DimCustomer, on_delete=models.PROTECT, null=True, blank=True, related_name="transactions"
    )
    payment_method = models.ForeignKey(
        DimPaymentMethod,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transactions",
    )
    date = models.ForeignKey(
        DimDate,
        on_delete=models.PROTECT,
        db_column="date_sk",
        related_name="transactions",
        help_text="Day of occurred_at in the reporting time zone.",
    )
    occurred_at = models.DateTimeField()
    amount = models.BigIntegerField(help_text="Minor units of `currency`, signed.")
    currency = models.CharField(max_length=3)
    balance_transaction_id = models.CharField(max_length=255, blank=True, default="")
    settlement_amount = models.BigIntegerField(null=True, blank=True)
    fee = models.BigIntegerField(null=True, blank=True)
    net = models.BigIntegerField(null=True, blank=True)
    settlement_currency = models.CharField(max_length=3, blank=True, default="")
    failure_code = models.CharField(max_length=255, blank=True, default="")
    failure_message = models.TextField(blank=True, default="")
    livemode = models.BooleanField(null=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "fact_transaction"
        ordering = ["-occurred_at"]
        verbose_name = "transaction"
        constraints = [
            models.UniqueConstraint(
                fields=["stripe_id", "transaction_type"], name="fact_transaction_movement_uniq"
            ),
        ]
        indexes = [
            models.Index(fields=["occurred_at"], name="fact_txn_occurred_idx"),
            models.Index(fields=["customer", "occurred_at"], name="fact_txn_customer_idx"),
            # refunds and dispute movements by time (a few percent of the rows), with the
            # columns the overview's and home's refunds and disputes sum: an index-only scan
            # that reads neither the charges nor one heap page per movement
            models.Index(
                fields=["occurred_at"],
                include=[
                    "transaction_type",
                    "stripe_id",
                    "status",
                    "customer",
                    "settlement_amount",
                    "amount",
                    "fee",
                ],
                condition=~models.Q(transaction_type="charge"),
                name="fact_txn_non_charge_cover_idx",
            ),
            # charges by time with the columns the home page's "to date" comparison sums: an
            # index-only scan, since a month's charges lie on about one heap page each
            models.Index(
                fields=["occurred_at"],
                include=["customer", "status", "settlement_amount", "amount", "fee"],
                condition=models.Q(transaction_type="charge"),
                name="fact_txn_charge_cover_idx",
            ),
        ]

    def __str__(self):
        return f"{self.transaction_type} {self.stripe_id}"


class FactCustomerMonth(models.Model):
    """One row per customer per calendar month (reporting time zone) with any movement.

    Sums are in minor units of the settlement currency. `net` = gross + refunds +
    disputes (refunds and disputes are negative). `first_payment_month` is the
    customer's cohort: the month of their first succeeded charge.
    """

    customer_month_sk = models.BigAutoField(primary_key=True)
    customer = models.ForeignKey(DimCustomer, on_delete=models.PROTECT, related_name="months")
    month = models.DateField(help_text="First day of the month.")
    first_payment_month = models.DateField(null=True, blank=True)
    gross = models.BigIntegerField(default=0)
    refunds = models.BigIntegerField(default=0)
    disputes = models.BigIntegerField(default=0)
    net = models.BigIntegerField(default=0)
    fees = models.BigIntegerField(default=0)
    charge_count = models.IntegerField(default=0, help_text="Succeeded charges.")
    failed_charge_count = models.IntegerField(default=0)
    # The customer's history up to and including this month, so that "history as of month m"
    # is one row per customer (the row with month <= m < next_month) instead of an aggregate.
    net_to_date = models.BigIntegerField(
        default=0, help_text="Sum of net over the customer's months up to this one."
    )
    active_months_to_date = models.IntegerField(
        default=0, help_text="Paying months up to this one."
    )
    last_payment_month_to_date = models.DateField(
        null=True, blank=True, help_text="Latest paying month up to this one."
    )
    next_month = models.DateField(
        null=True,
        blank=True,
        help_text="The customer's next month with movement; null for the latest.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "fact_customer_month"
        ordering = ["month", "customer"]
        verbose_name = "customer month"
        constraints = [
            models.UniqueConstraint(fields=["customer", "month"], name="fact_customer_month_uniq"),
        ]
        indexes = [
            models.Index(fields=["month"], name="fact_cm_month_idx"),
            models.Index(fields=["first_payment_month", "month"], name="fact_cm_cohort_idx"),
            # customers still active after a month: their rows with next_month after it
            models.Index(fields=["next_month"], name="fact_cm_next_month_idx"),
        ]

    def __str__(self):
        return f"{self.customer_id} {self.month:%Y-%m}"


class FactMonth(models.Model):
    """One row per calendar month (reporting time zone): the whole business that month.

    Pre-aggregated from fact_customer_month so the monthly reports read one row per month
    instead of every customer-month. Kept current by `refresh_customer_months`: a few
    customers' refresh adds the difference between their new and old contributions; a
    full refresh recomputes every row. A customer *pays* in a month with a succeeded
    charge in it; new = first payment that month; retained = paid the month before too;
    returning = paid before, not the month before; churned = paid the month before, not
    this one (so a month can have a row with only churned customers). Money in minor units
    of the settlement currency.
    """

    month = models.DateField(primary_key=True, help_text="First day of the month.")
    paying_customers = models.IntegerField(default=0)
    new_customers = models.IntegerField(default=0)
    retained_customers = models.IntegerField(default=0)
    returning_customers = models.IntegerField(default=0)
    churned_customers = models.IntegerField(default=0)
    gross = models.BigIntegerField(default=0)
    refunds = models.BigIntegerField(default=0)
    disputes = models.BigIntegerField(default=0)
    net = models.BigIntegerField(default=0)
    fees = models.BigIntegerField(default=0)
    charge_count = models.IntegerField(default=0, help_text="Succeeded charges.")
    failed_charge_count = models.IntegerField(default=0)

    class Meta:
        db_table = "fact_month"
        ordering = ["month"]
        verbose_name = "month"

    def __str__(self):
        return f"{self.month:%Y-%m}"


class FactCustomerDay(models.Model):
    """One row per customer per calendar day (reporting time zone) with any movement.

    The stored version of each customer's days, from which the fact_day mart subtracts a
    changed customer's old contribution (see warehouse/sql/marts/fact_customer_day.sql,
    which keeps both). Money in minor units of the settlement currency, refunds and dispute
    funds as positive amounts; the sums follow month_movements' definitions (docs/metrics.md).
    """

    customer_day_sk = models.BigAutoField(primary_key=True)
    # no index of its own: the unique (customer, day) index serves the customer's days
    customer = models.ForeignKey(
        DimCustomer, on_delete=models.PROTECT, related_name="days", db_index=False
    )
    day = models.DateField()
    gross = models.BigIntegerField(default=0, help_text="Succeeded charges.")
    charge_count = models.IntegerField(default=0, help_text="Succeeded charges.")
    charge_fees = models.BigIntegerField(default=0, help_text="Fees on succeeded charges.")
    failed_charge_count = models.IntegerField(default=0)
    refund_count = models.IntegerField(default=0)
    refunded = models.BigIntegerField(default=0)
    refund_fees = models.BigIntegerField(default=0)
    disputes_opened = models.IntegerField(default=0, help_text="Funds withdrawn this day.")
    disputes_won = models.IntegerField(default=0, help_text="Of those opened, now won.")
    disputes_lost = models.IntegerField(default=0, help_text="Of those opened, now lost.")
    dispute_funds_withdrawn = models.BigIntegerField(default=0)
    dispute_funds_reinstated = models.BigIntegerField(default=0)
    dispute_fees = models.BigIntegerField(default=0)
    first_payment_of_month = models.BooleanField(
        default=False, help_text="The customer's first succeeded charge of the month is this day."
    )
    first_payment = models.BooleanField(
        default=False, help_text="The customer's first succeeded charge ever is this day."
    )

    class Meta:
        db_table = "fact_customer_day"
        ordering = ["day", "customer"]
        verbose_name = "customer day"
        constraints = [
            models.UniqueConstraint(fields=["customer", "day"], name="fact_customer_day_uniq"),
        ]

    def __str__(self):
        return f"{self.customer_id} {self.day}"


class FactDay(models.Model):
    """One row per calendar day (reporting time zone): the whole business's movements that day.

    Pre-aggregated from fact_customer_day so that a month's figures, or its first n days'
    ("to date"), are a sum of at most 31 rows instead of every movement of those days.
    `paying_customers` counts the customers whose first succeeded charge *of the month* is
    this day, so the customers paying in days 1..n of a month are the sum over those days;
    `new_customers` those whose first succeeded charge ever is this day. Kept by the
    fact_customer_day mart statement: a changed customer's new days add, their stored days
    subtract. Rows may be left all zero (= no activity). Money as in fact_customer_day.
    """

    day = models.DateField(primary_key=True)
    gross = models.BigIntegerField(default=0)
    charge_count = models.IntegerField(default=0, help_text="Succeeded charges.")
    charge_fees = models.BigIntegerField(default=0)
    failed_charge_count = models.IntegerField(default=0)
    refund_count = models.IntegerField(default=0)
    refunded = models.BigIntegerField(default=0)
    refund_fees = models.BigIntegerField(default=0)
    disputes_opened = models.IntegerField(default=0)
    disputes_won = models.IntegerField(default=0)
    disputes_lost = models.IntegerField(default=0)
    dispute_funds_withdrawn = models.BigIntegerField(default=0)
    dispute_funds_reinstated = models.BigIntegerField(default=0)
    dispute_fees = models.BigIntegerField(default=0)
    paying_customers = models.IntegerField(
        default=0, help_text="Customers whose first succeeded charge of the month is this day."
    )
    new_customers = models.IntegerField(
        default=0, help_text="Customers whose first succeeded charge ever is this day."
    )

    class Meta:
        db_table = "fact_day"
        ordering = ["day"]
        verbose_name = "day"

    def __str__(self):
        return f"{self.day}"


class FactCohortMonth(models.Model):
    """One row per cohort month (month of the customers' first succeeded charge) per
    activity month with any movement of that cohort.

    `paying_customers` = the cohort's customers with a succeeded charge in `month` (at
    month = cohort_month: the cohort's size); `net` = the cohort's net revenue in `month`.
    Pre-aggregated from fact_customer_month, kept current like fact_month.
    """

    cohort_month_sk = models.BigAutoField(primary_key=True)
    cohort_month = models.DateField(help_text="First day of the cohort's first-payment month.")
    month = models.DateField(help_text="First day of the activity month.")
    paying_customers = models.IntegerField(default=0)
    net = models.BigIntegerField(default=0)

    class Meta:
        db_table = "fact_cohort_month"
        ordering = ["cohort_month", "month"]
        verbose_name = "cohort month"
        constraints = [
            models.UniqueConstraint(
                fields=["cohort_month", "month"], name="fact_cohort_month_uniq"
            ),
        ]

    def __str__(self):
        return f"{self.cohort_month:%Y-%m} {self.month:%Y-%m}"


class FactFollowMonth(models.Model):
    """One row per paying month x later (or same) activity month: the customers paying in
    `paid_month`, followed ("the customers of January: how many pay in March?").

    `paying_customers` = customers paying in both paid_month and `month` (at month =
    paid_month: everyone paying that month); `net` = those customers' net revenue in
    `month`. Pre-aggregated from fact_customer_month, kept current like fact_month.
    """

    follow_month_sk = models.BigAutoField(primary_key=True)
    paid_month = models.DateField(help_text="First day of the month the customers paid in.")
    month = models.DateField(help_text="First day of the activity month (>= paid_month).")
    paying_customers = models.IntegerField(default=0)
    net = models.BigIntegerField(default=0)

    class Meta:
        db_table = "fact_follow_month"
        ordering = ["paid_month", "month"]
        verbose_name = "followed month"
        constraints = [
            models.UniqueConstraint(fields=["paid_month", "month"], name="fact_follow_month_uniq"),
        ]

    def __str__(self):
        return f"{self.paid_month:%Y-%m} {self.month:%Y-%m}"


class FactCustomerLifetime(models.Model):
    """One row per customer with any row in fact_customer_month: their whole history.

    first/last_payment_month and active_months count months with a succeeded charge (null /
    0 for a customer who never paid); `last_activity_month` is their latest month with any
    movement; `total_net` sums their net over all months (settlement minor units).
    Recomputed from the customer's fact_customer_month rows by `refresh_customer_months`.
    The customer may be deleted from Stripe and stay here (dim_customer keeps its row).
    """

    customer = models.OneToOneField(
        DimCustomer, on_delete=models.CASCADE, primary_key=True, related_name="lifetime"
    )
    first_payment_month = models.DateField(null=True, blank=True)
    last_payment_month = models.DateField(null=True, blank=True)
    last_activity_month = models.DateField()
    active_months = models.IntegerField(default=0)
    total_net = models.BigIntegerField(default=0)

    class Meta:
        db_table = "fact_customer_lifetime"
        ordering = ["customer"]
        verbose_name = "customer lifetime"
        indexes = [
            models.Index(fields=["last_payment_month"], name="fact_cl_last_payment_idx"),
            models.Index(fields=["last_activity_month"], name="fact_cl_last_activity_idx"),
            models.Index(fields=["-total_net", "customer"], name="fact_cl_total_net_idx"),
        ]

    def __str__(self):
        return str(self.customer_id)


class FactLastPaymentMonth(models.Model):
    """One row per (last paying month, last month with any movement) of fact_customer_lifetime's
    paying customers: how many customers' histories end so.

    The LTV page's customer table counts its customers (customers whose history ends by the
    range's last month and who paid in the range) by summing these rows, a few hundred at
    most, instead of reading every customer. Kept in step with fact_customer_lifetime by the
    same mart statement (warehouse/sql/marts/fact_customer_lifetime.sql): each changed
    customer's new row counts +1, their stored row -1. Rows whose count falls to 0 may stay.
    """

    last_payment_month_sk = models.BigAutoField(primary_key=True)
    last_payment_month = models.DateField(help_text="First day of the month.")
    last_activity_month = models.DateField(help_text="First day of the month.")
    customers = models.IntegerField(default=0)

    class Meta:
        db_table = "fact_last_payment_month"
        ordering = ["last_payment_month", "last_activity_month"]
        verbose_name = "customers by last payment month"
        verbose_name_plural = "customers by last payment month"
        constraints = [
            models.UniqueConstraint(
                fields=["last_payment_month", "last_activity_month"],
                name="fact_last_payment_month_uniq",
            ),
        ]

    def __str__(self):
        return f"{self.last_payment_month} {self.last_activity_month}"


class DimClient(models.Model):
    """One row per distinct (os_name, app_name, app_version, device_name)."""

    client_sk = models.AutoField(primary_key=True)
    os_name = models.CharField(max_length=64)
    app_name = models.CharField(max_length=255)
    app_version = models.CharField(max_length=64)
    device_name = models.CharField(max_length=255)

    class Meta:
        db_table = "dim_client"
        ordering = ["os_name", "app_name", "app_version", "device_name"]
        verbose_name = "client"
        constraints = [
            models.UniqueConstraint(
                fields=["os_name", "app_name", "app_version", "device_name"],
                name="dim_client_uniq",
            ),
        ]

    def __str__(self):
        return f"{self.os_name} {self.app_name} {self.app_version} ({self.device_name})"


class DimChannel(models.Model):
    """One row per acquisition channel, keyed by a surrogate; channel_name is unique."""

    channel_sk = models.AutoField(primary_key=True)
    channel_name = models.CharField(max_length=255, unique=True)
    channel_group = models.CharField(max_length=255, blank=True, default="")
    channel_label = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        db_table = "dim_channel"
        ordering = ["channel_name"]
        verbose_name = "channel"

    def __str__(self):
        return self.channel_label or self.channel_name


class FactInstall(models.Model):
    """One row per app install reported by the attribution provider, keyed by install_id.

    A user can have several rows (reinstalls, several devices); each user's first install is
    fact_user_acquisition. The original design's `user_first_install_fact` (this table was
    `fact_user_first_install` until migration 0006).
    """

    install_id = models.CharField(max_length=255, primary_key=True)
    # looked up through fact_install_user_first_idx, which leads with it
    user_id = models.CharField(max_length=255)
    device_id = models.CharField(max_length=255, blank=True, default="")
    installed_at = models.DateTimeField()
    # No database foreign keys on the install tables (migration 0010): the only writer
    # (warehouse.services.installs) takes every key from a join with its dimension in the
    # same statement, so a key cannot dangle, and the deferred checks cost each new install
    # three index probes at commit.
    date = models.ForeignKey(
        DimDate,
        on_delete=models.PROTECT,
        db_column="date_sk",
        related_name="installs",
        db_constraint=False,
        db_index=False,
        help_text="Day of installed_at in the reporting time zone.",
    )
    client = models.ForeignKey(
        DimClient,
        on_delete=models.PROTECT,
        related_name="installs",
        db_constraint=False,
        db_index=False,
    )
    # no index of its own (migration 0022): see Meta.indexes
    channel = models.ForeignKey(
        DimChannel,
        on_delete=models.PROTECT,
        related_name="installs",
        db_constraint=False,
        db_index=False,
    )
    country_code = models.CharField(max_length=2, blank=True, default="")
    network_name = models.CharField(max_length=255, blank=True, default="")
    campaign_name = models.CharField(max_length=255, blank=True, default="")
    adgroup_name = models.CharField(max_length=255, blank=True, default="")
    creative_name = models.CharField(max_length=255, blank=True, default="")
    campaign_id = models.CharField(max_length=255, blank=True, default="")
    adgroup_id = models.CharField(max_length=255, blank=True, default="")
    creative_id = models.CharField(max_length=255, blank=True, default="")
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        db_table = "fact_install"
        ordering = ["-installed_at"]
        verbose_name = "install"
        indexes = [
            # the day's installs per user (the channels page's duplicate installs) from the
            # index alone: a day of installs is a few index pages, not one heap page each
            models.Index(
                fields=["installed_at"], include=["user_id"], name="fact_install_at_user_idx"
            ),
            # No (channel, client) index (dropped in migration 0022): only the admin's filters
            # read installs by channel or client (the reports count them from
            # fact_install_day), and each new install paid a B-tree insertion for it. The
            # admin's filtered list walks fact_install_at_user_idx in its -installed_at order.
            # (install counts per day, channel and client are fact_install_day's: no index here)
            # each user's first install (the funnel's channel) read in order, from the index alone
            models.Index(
                fields=["user_id", "installed_at", "install_id"],
                include=["channel"],
                name="fact_install_user_first_idx",
            ),
        ]

    def __str__(self):
        return self.install_id


class FactUserAcquisition(models.Model):
    """One row per app user_id: the user's first install (earliest installed_at, ties broken
    by the smaller install_id) and where it came from.

    Kept by the install write path (warehouse.services.installs): every newly stored install
    upserts its user's row, replacing it only when the new install is earlier, so the row is
    the first install whatever order installs arrive in. The channel funnel reads it.
    """

    user_id = models.CharField(max_length=255, primary_key=True)
    # no database foreign keys (see FactInstall): the install write path fills it from
    # fact_install's rows in the same transaction. Not unique either: an install has one
    # user, so it is the first install of one user at most; the user_id key says it.
    install = models.ForeignKey(
        FactInstall,
        on_delete=models.PROTECT,
        db_column="install_id",
        related_name="acquisitions",
        db_constraint=False,
        db_index=False,
    )
    installed_at = models.DateTimeField()
    date = models.ForeignKey(
        DimDate,
        on_delete=models.PROTECT,
        db_column="date_sk",
        related_name="acquisitions",
        db_index=False,
        db_constraint=False,
        help_text="Day of installed_at in the reporting time zone.",
    )
    channel = models.ForeignKey(
        DimChannel,
        on_delete=models.PROTECT,
        related_name="acquisitions",
        db_index=False,
        db_constraint=False,
    )
    client = models.ForeignKey(
        DimClient,
        on_delete=models.PROTECT,
        related_name="acquisitions",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        db_table = "fact_user_acquisition"
        ordering = ["user_id"]
        verbose_name = "user acquisition"
        indexes = [
            # first installs in a time range with their channel, from the index alone (funnel)
            models.Index(
                fields=["installed_at"],
                include=["channel", "user_id"],
                name="fact_ua_installed_at_idx",
            ),
        ]

    def __str__(self):
        return self.user_id


class FactInstallDay(models.Model):
    """One row per (day in the reporting time zone, channel, OS) with installs: how many
    installs fact_install holds for it.

    The OS is the os_name of the install's client: the reports count installs by OS, and at
    this grain the table grows with days, channels and OSes, not with installs (a grain by
    client, whose device names and app versions keep coming, held about one row per install).
    Incremented by the install write path for newly stored installs only (re-imports change
    nothing). The install-count channel reports read it instead of the install fact.
    """

    install_day_sk = models.BigAutoField(primary_key=True)
    # no database foreign keys (see FactInstall): counted from fact_install's rows
    date = models.ForeignKey(
        DimDate,
        on_delete=models.PROTECT,
        db_column="date_sk",
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    channel = models.ForeignKey(
        DimChannel, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    os_name = models.CharField(max_length=64, help_text="dim_client.os_name of the installs.")
    installs = models.IntegerField(default=0)

    class Meta:
        db_table = "fact_install_day"
        ordering = ["date", "channel", "os_name"]
        verbose_name = "install day"
        constraints = [
            models.UniqueConstraint(
                fields=["date", "channel", "os_name"], name="fact_install_day_uniq"
            ),
        ]

    def __str__(self):
        return f"{self.date_id} {self.channel_id} {self.os_name}"


class FactChannelFunnelDay(models.Model):
    """One row per (day of the first install in the reporting time zone, channel, OS) with
    users: the channel funnel's counts for the users whose first install (fact_user_acquisition)
    falls there, and for their customers.

    `users`: users whose first install it is (first installs); `paying_customers`: their
    customers with a succeeded charge; `net_revenue`: their customers' net to date (settlement
    minor units; fact_customer_lifetime.total_net, every customer with movements). A customer
    counts under the user of dim_customer.user_id. Delta-maintained by both the install write
    paths (a user's first install arriving or moving earlier) and the payments change set (a
    customer's lifetime or user changing), through fact_funnel_user and fact_funnel_customer,
    which record what each user and customer adds here (warehouse/sql/marts/
    fact_channel_funnel_*.sql). Rows whose counts fall to 0 may stay.
    """

    funnel_day_sk = models.BigAutoField(primary_key=True)
    # no database foreign keys (see FactInstall): counted from the install marts' rows
    date = models.ForeignKey(
        DimDate,
        on_delete=models.PROTECT,
        db_column="date_sk",
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    channel = models.ForeignKey(
        DimChannel, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    os_name = models.CharField(max_length=64, help_text="dim_client.os_name of the first installs.")
    users = models.IntegerField(default=0)
    paying_customers = models.IntegerField(default=0)
    net_revenue = models.BigIntegerField(default=0)

    class Meta:
        db_table = "fact_channel_funnel_day"
        ordering = ["date", "channel", "os_name"]
        verbose_name = "channel funnel day"
        constraints = [
            models.UniqueConstraint(
                fields=["date", "channel", "os_name"], name="fact_channel_funnel_day_uniq"
            ),
        ]

    def __str__(self):
        return f"{self.date_id} {self.channel_id} {self.os_name}"


class FactFunnelUser(models.Model):
    """One row per user counted in fact_channel_funnel_day: the (day, channel, OS) cell the
    funnel counts them in, which is their first install's (fact_user_acquisition) once the
    install write path has reconciled them in the same transaction. It is what lets a user's
    counts move when an earlier install arrives: the old cell is read here, not guessed.
    """

    user_id = models.CharField(max_length=255, primary_key=True)
    date_sk = models.IntegerField()
    channel_id = models.IntegerField()
    os_name = models.CharField(max_length=64)

    class Meta:
        db_table = "fact_funnel_user"
        ordering = ["user_id"]
        verbose_name = "funnel user"

    def __str__(self):
        return self.user_id


class FactFunnelCustomer(models.Model):
    """One row per customer with movements (fact_customer_lifetime) and a user id
    (dim_customer.user_id): what the customer adds to the funnel cell of that user (if the
    user has a first install): paying or not, and their net to date. Written by the payments
    change set's funnel step only; the install path reads it to move a user's customers.
    """

    customer_id = models.CharField(max_length=255, primary_key=True)
    user_id = models.CharField(max_length=255)
    paying = models.BooleanField()
    net_revenue = models.BigIntegerField()

    class Meta:
        db_table = "fact_funnel_customer"
        ordering = ["customer_id"]
        verbose_name = "funnel customer"
        indexes = [
            models.Index(
                fields=["user_id"],
                include=["paying", "net_revenue"],
                name="fact_funnel_cust_user_idx",
            ),
        ]

    def __str__(self):
        return self.customer_id


class FactChannelMrrDay(models.Model):
    """One row per (day, acquisition channel) on which the MRR of the channel's customers
    changed: the change of their MRR (`mrr_change`, settlement minor units) and of their
    number with MRR > 0 (`customers_change`). A customer's channel is the channel of their
    user's first install (fact_funnel_user, through dim_customer.user_id); channel_id 0 holds
    the customers without an attributed install. Running sums up to a day give MRR by channel
    at that day's end (the channels page), from a few rows per day instead of every
    customer's movements. Delta-maintained from fact_mrr_movement by the change set's marts
    step, and moved between channels by the install path with the funnel's users, through
    fact_mrr_channel_customer. Rows whose changes fall to 0 may stay.
    """

    channel_mrr_day_sk = models.BigAutoField(primary_key=True)
    date = models.DateField()
    channel_id = models.IntegerField(help_text="dim_channel.channel_sk; 0: no attributed install.")
    mrr_change = models.BigIntegerField(default=0)
    customers_change = models.IntegerField(default=0)

    class Meta:
        db_table = "fact_channel_mrr_day"
        ordering = ["date", "channel_id"]
        verbose_name = "channel MRR day"
        constraints = [
            models.UniqueConstraint(
                fields=["date", "channel_id"], name="fact_channel_mrr_day_uniq"
            ),
        ]

    def __str__(self):
        return f"{self.date} {self.channel_id}"


class FactMrrChannelCustomer(models.Model):
    """One row per customer with MRR movements (fact_mrr_movement): what the customer adds to
    fact_channel_mrr_day (per day of a movement, the change of their MRR and of their being
    counted with MRR > 0) and the user it is counted under (dim_customer.user_id; null:
    none), whose first install's channel it is added to. Written by the change set's marts
    step only; the install path reads it to move a user's customers between channels.
    """

    customer_id = models.CharField(max_length=255, primary_key=True)
    user_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    dates = ArrayField(models.DateField())
    mrr_changes = ArrayField(models.BigIntegerField())
    customers_changes = ArrayField(models.IntegerField())

    class Meta:
        db_table = "fact_mrr_channel_customer"
        ordering = ["customer_id"]
        verbose_name = "MRR channel customer"
        indexes = [
            models.Index(fields=["user_id"], name="fact_mrr_chan_cust_user_idx"),
        ]

    def __str__(self):
        return self.customer_id


# --- subscriptions and MRR ----------------------------------------------------------------
# Definitions: docs/metrics.md ("Recurring revenue"). Money in integer minor units.


class DimProduct(models.Model):
    """One row per Stripe product (prod_…), keyed by its Stripe id."""

    stripe_id = models.CharField(max_length=255, primary_key=True)
    name = models.TextField(blank=True, default="")
    active = models.BooleanField(null=True)
    livemode = models.BooleanField(null=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "dim_product"
        ordering = ["stripe_id"]
        verbose_name = "product"

    def __str__(self):
        return self.name or self.stripe_id


class DimPrice(models.Model):
    """One row per Stripe price (price_…, or a legacy plan id, which is also a price id).

    `monthly_amount` is unit_amount normalised to a month (year = 12 months, week = 52/12,
    day = 365/12, divided by interval_count), rounded half-even to the minor unit: a display
    value. MRR itself is computed exactly from the invoice lines (fact_invoice_line).
    `product_id` is not a foreign key: Stripe may deliver a price before its product.
    """

    stripe_id = models.CharField(max_length=255, primary_key=True)
    product_id = models.CharField(max_length=255, blank=True, default="", db_index=True)
    nickname = models.CharField(max_length=255, blank=True, default="")
    currency = models.CharField(max_length=3, blank=True, default="")
    unit_amount = models.BigIntegerField(null=True, blank=True, help_text="Minor units.")
    price_type = models.CharField(max_length=16, blank=True, default="")
    billing_scheme = models.CharField(max_length=16, blank=True, default="")
    interval = models.CharField(max_length=8, blank=True, default="")
    interval_count = models.IntegerField(null=True, blank=True)
    usage_type = models.CharField(max_length=16, blank=True, default="")
    monthly_amount = models.BigIntegerField(
        null=True, blank=True, help_text="unit_amount per month, minor units (display)."
    )
    active = models.BooleanField(null=True)
    livemode = models.BooleanField(null=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "dim_price"
        ordering = ["stripe_id"]
        verbose_name = "price"

    def __str__(self):
        return self.nickname or self.stripe_id


class DimCoupon(models.Model):
    """One row per Stripe coupon, keyed by its id (coupons may have chosen ids)."""

    stripe_id = models.CharField(max_length=255, primary_key=True)
    name = models.CharField(max_length=255, blank=True, default="")
    percent_off = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    amount_off = models.BigIntegerField(null=True, blank=True, help_text="Minor units.")
    currency = models.CharField(max_length=3, blank=True, default="")
    duration = models.CharField(max_length=16, blank=True, default="")
    duration_in_months = models.IntegerField(null=True, blank=True)
    livemode = models.BooleanField(null=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "dim_coupon"
        ordering = ["stripe_id"]
        verbose_name = "coupon"

    def __str__(self):
        return self.name or self.stripe_id


class IntInvoice(models.Model):
    """The parsed form of one dj-stripe invoice (stg_stripe__invoices), kept so that a
    customer's MRR refresh re-reads the JSON of the invoices that changed only, not all of
    theirs (docs/benchmarks.md, "Per-invoice parsed lines"). Written by
    facts/invoice_line_store.sql: an invoice is parsed again when its `source_updated`
    differs from dj-stripe's `djstripe_updated` (every save bumps it) and its JSON differs
    from the one parsed (`source_digest`: a save that changed nothing, as
    invoice.payment_succeeded after invoice.paid, needs no parse), when the flush names it
    (an invoice item of it changed in the transaction), when it is paid but no charge was
    found yet (its payment intent's charge may arrive later), and in the full refresh. A
    missing row is parsed at the customer's next refresh, so an empty table is correct (the
    migration leaves it empty).
    """

    # null string columns: null is the view's "absent", which fact_invoice_line.sql coalesces
    # with a fallback (the invoice's subscription or currency, the price's product)
    invoice_id = models.CharField(max_length=255, primary_key=True)
    customer_id = models.CharField(max_length=255)
    source_updated = models.DateTimeField(help_text="djstripe_invoice.djstripe_updated parsed.")
    source_digest = models.CharField(  # noqa: DJ001
        max_length=32,
        null=True,
        blank=True,
        help_text="fragments/invoice_source_digest.sql of the JSON parsed; null: unknown (the "
        "full refresh, or lines beyond the invoice's embedded page), which a save re-parses.",
    )
    subscription_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    status = models.CharField(max_length=32)
    currency = models.CharField(max_length=3, null=True, blank=True)  # noqa: DJ001
    created = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    charge_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001

    class Meta:
        db_table = "int_invoice"
        ordering = ["invoice_id"]
        verbose_name = "parsed invoice"
        indexes = [models.Index(fields=["customer_id"], name="int_invoice_customer_idx")]

    def __str__(self):
        return self.invoice_id


class IntSubscriptionState(models.Model):
    """The state of a subscription (stg_stripe__subscriptions: status, ended_at, cancel_at,
    current items) that its customer's fact_mrr_change rows were last computed from, written
    by facts/fact_mrr_change.sql whenever it recomputes a customer. A subscription saved in a
    transaction (a renewal's customer.subscription.updated, an invoice's re-synced
    subscription) makes the refresh due only when this state differs, is missing, or names a
    subscription dj-stripe no longer holds; so an empty table is correct (the migration leaves
    it empty: each customer's next refresh recomputes and fills it).
    """

    subscription_id = models.CharField(max_length=255, primary_key=True)
    customer_id = models.CharField(max_length=255)
    status = models.CharField(max_length=32)
    ended_at = models.DateTimeField(null=True, blank=True)
    cancel_at = models.DateTimeField(null=True, blank=True)
    current_item_ids = ArrayField(models.TextField())

    class Meta:
        db_table = "int_subscription_state"
        ordering = ["subscription_id"]
        verbose_name = "subscription state of the MRR changes"
        indexes = [
            models.Index(fields=["customer_id"], name="int_subscription_customer_idx"),
        ]

    def __str__(self):
        return self.subscription_id


class IntInvoiceLine(models.Model):
    """The parsed subscription-item lines of an IntInvoice (stg_stripe__invoice_lines, the
    lines with a subscription item, an id and a period, of a non-void invoice), replaced
    whenever their invoice is parsed again."""

    pk = models.CompositePrimaryKey("invoice_id", "line_id")
    invoice_id = models.CharField(max_length=255)
    line_id = models.CharField(max_length=255)
    subscription_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    subscription_item_id = models.CharField(max_length=255)
    price_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    product_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    currency = models.CharField(max_length=3, null=True, blank=True)  # noqa: DJ001
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    is_proration = models.BooleanField()
    quantity = models.BigIntegerField()
    amount = models.BigIntegerField()
    discount_amount = models.BigIntegerField()
    inclusive_tax_amount = models.BigIntegerField()

    class Meta:
        db_table = "int_invoice_line"
        ordering = ["invoice_id", "line_id"]
        verbose_name = "parsed invoice line"

    def __str__(self):
        return self.line_id


class FactInvoiceLine(models.Model):
    """One row per invoice line of a subscription item (il_…) on an invoice that is not
    void, with its service period [period_start, period_end).

    Amounts are minor units of the invoice `currency`. The line's MRR in that currency is
    the exact fraction mrr_numerator / mrr_denominator (see docs/metrics.md: the line's
    price × quantity after discounts, excluding tax, per month); `mrr` is that value in the
    settlement currency at `fx_rate`, rounded half-even once. Credit prorations ("unused
    time") have MRR 0: they end the item's previous price at period_start.
    """

    line_id = models.CharField(max_length=255, primary_key=True)
    invoice_id = models.CharField(max_length=255, db_index=True)
    customer = models.ForeignKey(
        DimCustomer, on_delete=models.PROTECT, related_name="invoice_lines", db_index=False
    )
    subscription_id = models.CharField(max_length=255, db_index=True)
    subscription_item_id = models.CharField(max_length=255)
    price_id = models.CharField(max_length=255, blank=True, default="", db_index=True)
    product_id = models.CharField(max_length=255, blank=True, default="")
    currency = models.CharField(max_length=3)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    is_proration = models.BooleanField(default=False)
    is_credit = models.BooleanField(default=False, help_text="A negative proration line.")
    is_recurring = models.BooleanField(
        default=False, help_text="A licensed recurring price: counts for MRR."
    )
    quantity = models.BigIntegerField(default=0)
    amount = models.BigIntegerField(help_text="Before discounts, minor units.")
    discount_amount = models.BigIntegerField(default=0)
    inclusive_tax_amount = models.BigIntegerField(default=0)
    invoice_status = models.CharField(max_length=32)
    invoice_created = models.DateTimeField()
    invoice_paid_at = models.DateTimeField(null=True, blank=True)
    mrr_numerator = models.DecimalField(max_digits=50, decimal_places=12)
    mrr_denominator = models.BigIntegerField()
    charge_id = models.CharField(max_length=255, blank=True, default="")
    fx_rate = models.DecimalField(
        max_digits=40,
        decimal_places=20,
        null=True,
        blank=True,
        help_text="Settlement minor units per invoice minor unit; null when no rate is known.",
    )
    settlement_currency = models.CharField(max_length=3, blank=True, default="")
    mrr = models.BigIntegerField(
        null=True, blank=True, help_text="Settlement minor units, rounded half-even."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "fact_invoice_line"
        ordering = ["customer", "period_start"]
        verbose_name = "invoice line"
        indexes = [
            models.Index(fields=["customer", "period_start"], name="fact_il_customer_idx"),
        ]

    def __str__(self):
        return self.line_id


class FactMrrChange(models.Model):
    """One row per subscription × price × day (reporting time zone) on which the
    subscription's MRR at that price changed: `amount` = the change (signed), settlement
    minor units. The MRR timeline that fact_mrr_movement nets per customer; summing the
    amounts up to a day gives each subscription's and price's MRR on that day (MRR by plan).
    """

    change_sk = models.BigAutoField(primary_key=True)
    customer = models.ForeignKey(
        DimCustomer, on_delete=models.PROTECT, related_name="mrr_changes", db_index=False
    )
    subscription_id = models.CharField(max_length=255)
    price_id = models.CharField(max_length=255)
    date = models.DateField()
    month = models.DateField(help_text="First day of the change's month.")
    amount = models.BigIntegerField()
    mrr_after = models.BigIntegerField(
        default=0, help_text="The subscription's MRR at this price after the change."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "fact_mrr_change"
        ordering = ["date", "subscription_id", "price_id"]
        verbose_name = "MRR change"
        constraints = [
            models.UniqueConstraint(
                fields=["subscription_id", "price_id", "date"], name="fact_mrr_change_uniq"
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "date"], name="fact_mrr_change_customer_idx"),
            models.Index(
                fields=["date"], include=["price_id", "amount"], name="fact_mrr_change_date_idx"
            ),
            models.Index(
                fields=["month", "date"],
                include=["price_id", "amount", "mrr_after"],
                name="fact_mrr_change_month_idx",
            ),
        ]

    def __str__(self):
        return f"{self.subscription_id} {self.price_id} {self.date}"


class FactMrrMovement(models.Model):
    """One row per customer per day (reporting time zone) on which the customer's MRR
    changed: the day's changes netted into one movement.

    `movement_type`: new, expansion, contraction, churn or reactivation. mrr_before /
    mrr_after are the customer's MRR at the end of the previous changed day and of this
    day; amount = mrr_after - mrr_before (signed). `subscription_id` and `price_id` name
    the subscription and price whose MRR changed most that day. Settlement minor units.
    Movements may lie in the future (a cancellation at period end, a grace deadline): the
    reports show those up to today.
    """

    class MovementType(models.TextChoices):
        NEW = "new", "New"
        EXPANSION = "expansion", "Expansion"
        REACTIVATION = "reactivation", "Reactivation"
        CONTRACTION = "contraction", "Contraction"
        CHURN = "churn", "Churn"

    movement_sk = models.BigAutoField(primary_key=True)
    customer = models.ForeignKey(
        DimCustomer, on_delete=models.PROTECT, related_name="mrr_movements", db_index=False
    )
    date = models.DateField()
    month = models.DateField(help_text="First day of the movement's month.")
    movement_type = models.CharField(max_length=16, choices=MovementType.choices)
    mrr_before = models.BigIntegerField()
    mrr_after = models.BigIntegerField()
    amount = models.BigIntegerField()
    subscription_id = models.CharField(max_length=255, blank=True, default="")
    price_id = models.CharField(max_length=255, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "fact_mrr_movement"
        ordering = ["date", "customer"]
        verbose_name = "MRR movement"
        constraints = [
            models.UniqueConstraint(fields=["customer", "date"], name="fact_mrr_movement_uniq"),
        ]
        indexes = [
            # covering: the MRR page's current month reads it index-only, in group order
            models.Index(
                fields=["month", "movement_type"],
                include=["date", "amount", "customer_id"],
                name="fact_mrr_mv_month_cover_idx",
            ),
            models.Index(fields=["date"], name="fact_mrr_mv_date_idx"),
        ]

    def __str__(self):
        return f"{self.customer_id} {self.date} {self.movement_type}"


class MartMrrCustomerMonth(models.Model):
    """One row per customer per month from the month of their first movement to the month
    of their latest movement: MRR at the month's end, the month's movements netted, and
    the customer's cohort (month of first MRR). A later month without a row has the MRR
    of the latest earlier row (`next_month` names the next row). Settlement minor units.
    """

    customer_month_sk = models.BigAutoField(primary_key=True)
    customer = models.ForeignKey(
        DimCustomer, on_delete=models.PROTECT, related_name="mrr_months", db_index=False
    )
    month = models.DateField()
    cohort_month = models.DateField()
    mrr_start = models.BigIntegerField(help_text="MRR at the end of the previous month.")
    mrr_end = models.BigIntegerField()
    cohort_mrr = models.BigIntegerField(help_text="MRR at the end of the cohort month.")
    next_month = models.DateField(null=True, blank=True)

    class Meta:
        db_table = "mart_mrr_customer_month"
        ordering = ["month", "customer"]
        verbose_name = "MRR customer month"
        constraints = [
            models.UniqueConstraint(fields=["customer", "month"], name="mart_mrr_cm_uniq"),
        ]
        indexes = [
            models.Index(fields=["month", "next_month"], name="mart_mrr_cm_month_idx"),
            models.Index(fields=["cohort_month", "month"], name="mart_mrr_cm_cohort_idx"),
        ]

    def __str__(self):
        return f"{self.customer_id} {self.month:%Y-%m}"


class MartMrrMonthMovement(models.Model):
    """One row per month × movement type with movements: their summed amount (signed:
    contraction and churn are negative), their number (`movements`, one per customer per
    day) and the distinct customers they belong to (`customers`). MRR at a month's end is
    the running sum of the amounts up to it. Kept in step with fact_mrr_movement by the same
    statement (warehouse/sql/facts/fact_mrr_movement.sql), as mart_mrr_day is: the changed
    customers' movements as computed now minus as stored before, summed by month (a
    customer's first movement of the type in the month counts them once). A delta can leave
    a row at zero; it stays (it adds nothing). Settlement minor units.
    """

    month = models.DateField()
    movement_type = models.CharField(max_length=16)
    amount = models.BigIntegerField()
    movements = models.IntegerField()
    customers = models.IntegerField()

    class Meta:
        db_table = "mart_mrr_month_movement"
        ordering = ["month", "movement_type"]
        verbose_name = "MRR month movement"
        constraints = [
            models.UniqueConstraint(fields=["month", "movement_type"], name="mart_mrr_mm_uniq"),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.movement_type}"


class MartMrrDay(models.Model):
    """One row per day × movement type with movements (reporting time zone), kept in step with
    fact_mrr_movement by the same statement (warehouse/sql/facts/fact_mrr_movement.sql): the
    day's summed amount (signed, as mart_mrr_month_movement's), its movements (one per
    customer per day) and `month_first_customers`, the customers whose first movement of this
    type in the day's month falls on this day, so that a month's distinct customers up to day n
    are a sum over its days 1..n. The MRR page's daily MRR and every month-to-date figure
    (the current month's movements, home's MRR) read at most 31 × 5 of these rows a month
    instead of the month's movements, whose number follows the subscriptions. A delta can
    leave a row at zero; it stays (it adds nothing). Settlement minor units.
    """

    date = models.DateField()
    movement_type = models.CharField(max_length=16)
    amount = models.BigIntegerField()
    movements = models.IntegerField()
    month_first_customers = models.IntegerField()

    class Meta:
        db_table = "mart_mrr_day"
        ordering = ["date", "movement_type"]
        verbose_name = "MRR day"
        constraints = [
            models.UniqueConstraint(fields=["date", "movement_type"], name="mart_mrr_day_uniq"),
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.movement_type}"


class MartMrrPriceDay(models.Model):
    """One row per day × price with a change (reporting time zone), kept in step with
    fact_mrr_change by the same statement (warehouse/sql/facts/fact_mrr_change.sql): the
    day's change of the price's MRR (`mrr_change`) and of its subscriptions with MRR > 0
    (`subscriptions_change`), as mart_mrr_price_month's per month. MRR by plan on a day adds
    the day's month's rows up to it to the closed months, instead of that month's
    fact_mrr_change rows, whose number follows the subscriptions. A delta can leave a row at
    zero; it stays. Settlement minor units.
    """

    date = models.DateField()
    price_id = models.CharField(max_length=255)
    mrr_change = models.BigIntegerField()
    subscriptions_change = models.IntegerField()

    class Meta:
        db_table = "mart_mrr_price_day"
        ordering = ["date", "price_id"]
        verbose_name = "MRR price day"
        constraints = [
            models.UniqueConstraint(fields=["date", "price_id"], name="mart_mrr_price_day_uniq"),
        ]

    def __str__(self):
        return f"{self.price_id} {self.date:%Y-%m-%d}"


class MartMrrPriceMonth(models.Model):
    """One row per price × month in which some subscription's MRR at that price changed:
    the month's change of the price's MRR (`mrr_change`, settlement minor units) and of its
    subscriptions with MRR > 0 (`subscriptions_change`). Running sums over the months give
    MRR by plan at a month's end; the page adds the day's month's mart_mrr_price_day rows up
    to the day. Kept in step with fact_mrr_change by the same statement
    (warehouse/sql/facts/fact_mrr_change.sql), as mart_mrr_price_day is. A delta can leave a
    row at zero; it stays.
    """

    price_id = models.CharField(max_length=255)
    month = models.DateField()
    mrr_change = models.BigIntegerField()
    subscriptions_change = models.IntegerField()

    class Meta:
        db_table = "mart_mrr_price_month"
        ordering = ["month", "price_id"]
        verbose_name = "MRR price month"
        constraints = [
            models.UniqueConstraint(fields=["price_id", "month"], name="mart_mrr_pm_uniq"),
        ]

    def __str__(self):
        return f"{self.price_id} {self.month:%Y-%m}"


class MartMrrCohort(models.Model):
    """One row per cohort month (month of first MRR) × month with a change in the cohort:
    the change, that month, of the cohort's MRR at month end (`mrr_change`), of its gross
    retained MRR (each customer's MRR capped at their cohort-month MRR,
    `gross_mrr_change`) and of its customers with MRR > 0 (`customers_change`). Running
    sums over months give the values; the cohort month's values are the starting point.
    """

    cohort_month = models.DateField()
    month = models.DateField()
    mrr_change = models.BigIntegerField()
    gross_mrr_change = models.BigIntegerField()
    customers_change = models.IntegerField()

    class Meta:
        db_table = "mart_mrr_cohort"
        ordering = ["cohort_month", "month"]
        verbose_name = "MRR cohort month"
        constraints = [
            models.UniqueConstraint(fields=["cohort_month", "month"], name="mart_mrr_cohort_uniq"),
        ]

    def __str__(self):
        return f"{self.cohort_month:%Y-%m} {self.month:%Y-%m}"
