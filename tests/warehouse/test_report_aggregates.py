"""fact_month, fact_cohort_month, fact_follow_month, fact_customer_lifetime,
fact_last_payment_month, fact_customer_day and fact_day, delta-maintained by per-customer
refreshes (the webhook path), equal both a from-scratch recompute and a plain-Python
computation from the same transactions."""

import datetime as dt
import threading
from collections import defaultdict
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from tests.factories import DimCustomerFactory, FactTransactionFactory, utc
from tests.warehouse.conftest import report_aggregates_snapshot
from warehouse import services
from warehouse.models import FactCustomerMonth, FactTransaction

T = FactTransaction.TransactionType
MONEY = ("gross", "refunds", "disputes", "net", "fees", "charge_count", "failed_charge_count")


def _month_of(moment: dt.datetime, tz) -> dt.date:
    local = moment.astimezone(tz)
    return dt.date(local.year, local.month, 1)


def _day_of(moment: dt.datetime, tz) -> dt.date:
    return moment.astimezone(tz).date()


def _next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _previous_month(month: dt.date) -> dt.date:
    return dt.date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def expected_aggregates(tz) -> dict:
    """The three aggregates, worked out in Python from every row of fact_transaction."""
    customer_months = defaultdict(lambda: dict.fromkeys(MONEY, 0))
    for txn in FactTransaction.objects.exclude(customer=None):
        row = customer_months[(txn.customer_id, _month_of(txn.occurred_at, tz))]
        settled = txn.settlement_amount if txn.settlement_amount is not None else txn.amount
        succeeded_charge = txn.transaction_type == T.CHARGE and txn.status == "succeeded"
        if succeeded_charge:
            row["gross"] += settled
            row["charge_count"] += 1
        elif txn.transaction_type == T.CHARGE and txn.status == "failed":
            row["failed_charge_count"] += 1
        elif txn.transaction_type == T.REFUND:
            row["refunds"] += settled
        elif txn.transaction_type != T.CHARGE:
            row["disputes"] += settled
        if succeeded_charge or txn.transaction_type != T.CHARGE:
            row["fees"] += txn.fee or 0
        row["net"] = row["gross"] + row["refunds"] + row["disputes"]

    paying = defaultdict(set)
    months_of = defaultdict(set)
    for (customer, month), row in customer_months.items():
        months_of[customer].add(month)
        if row["charge_count"]:
            paying[customer].add(month)

    counts = (
        "paying_customers",
        "new_customers",
        "retained_customers",
        "returning_customers",
        "churned_customers",
    )
    fact_month = defaultdict(lambda: dict.fromkeys(counts + MONEY, 0))
    for (_customer, month), row in customer_months.items():
        for name in MONEY:
            fact_month[(month,)][name] += row[name]
    for paid in paying.values():
        first = min(paid)
        for month in paid:
            totals = fact_month[(month,)]
            totals["paying_customers"] += 1
            if month == first:
                totals["new_customers"] += 1
            elif _previous_month(month) in paid:
                totals["retained_customers"] += 1
            else:
                totals["returning_customers"] += 1
            if _next_month(month) not in paid:
                fact_month[(_next_month(month),)]["churned_customers"] += 1

    cohort_month = defaultdict(lambda: {"paying_customers": 0, "net": 0})
    for (customer, month), row in customer_months.items():
        if paying[customer]:
            cell = cohort_month[(min(paying[customer]), month)]
            cell["paying_customers"] += bool(row["charge_count"])
            cell["net"] += row["net"]

    follow_month = defaultdict(lambda: {"paying_customers": 0, "net": 0})
    for (customer, month), row in customer_months.items():
        for paid_month in paying[customer]:
            if paid_month <= month:
                cell = follow_month[(paid_month, month)]
                cell["paying_customers"] += bool(row["charge_count"])
                cell["net"] += row["net"]

    lifetime = {
        (customer,): {
            "first_payment_month": min(paying[customer]) if paying[customer] else None,
            "last_payment_month": max(paying[customer]) if paying[customer] else None,
            "last_activity_month": max(months),
            "active_months": len(paying[customer]),
            "total_net": sum(customer_months[(customer, month)]["net"] for month in months),
        }
        for customer, months in months_of.items()
    }

    # paying customers counted by (last paying month, last month with any movement)
    last_payment_month = defaultdict(lambda: {"customers": 0})
    for customer, months in months_of.items():
        if paying[customer]:
            last_payment_month[(max(paying[customer]), max(months))]["customers"] += 1

    # per customer and day (reporting time zone), refunds and dispute funds as positive amounts
    day_sums = (
        "gross",
        "charge_count",
        "charge_fees",
        "failed_charge_count",
        "refund_count",
        "refunded",
        "refund_fees",
        "disputes_opened",
        "disputes_won",
        "disputes_lost",
        "dispute_funds_withdrawn",
        "dispute_funds_reinstated",
        "dispute_fees",
    )
    customer_days = defaultdict(lambda: dict.fromkeys(day_sums, 0))
    for txn in FactTransaction.objects.exclude(customer=None):
        row = customer_days[(txn.customer_id, _day_of(txn.occurred_at, tz))]
        settled = txn.settlement_amount if txn.settlement_amount is not None else txn.amount
        fee = txn.fee or 0
        if txn.transaction_type == T.CHARGE and txn.status == "succeeded":
            row["gross"] += settled
            row["charge_count"] += 1
            row["charge_fees"] += fee
        elif txn.transaction_type == T.CHARGE and txn.status == "failed":
            row["failed_charge_count"] += 1
        elif txn.transaction_type == T.REFUND:
            row["refund_count"] += 1
            row["refunded"] -= settled
            row["refund_fees"] += fee
        elif txn.transaction_type == T.DISPUTE_WITHDRAWAL:
            row["disputes_opened"] += 1
            row["disputes_won"] += txn.status == "won"
            row["disputes_lost"] += txn.status == "lost"
            row["dispute_funds_withdrawn"] -= settled
            row["dispute_fees"] += fee
        elif txn.transaction_type == T.DISPUTE_REINSTATEMENT:
            row["dispute_funds_reinstated"] += settled
            row["dispute_fees"] += fee
    paid_days = defaultdict(list)
    for (customer, day), row in customer_days.items():
        if row["charge_count"]:
            paid_days[customer].append(day)
    for (customer, day), row in customer_days.items():
        own = paid_days[customer]
        row["first_payment"] = bool(own) and day == min(own)
        row["first_payment_of_month"] = day in own and day == min(
            paid for paid in own if (paid.year, paid.month) == (day.year, day.month)
        )
    fact_day = defaultdict(
        lambda: dict.fromkeys((*day_sums, "paying_customers", "new_customers"), 0)
    )
    for (_customer, day), row in customer_days.items():
        totals = fact_day[(day,)]
        for name in day_sums:
            totals[name] += row[name]
        totals["paying_customers"] += row["first_payment_of_month"]
        totals["new_customers"] += row["first_payment"]

    def non_zero(table):
        return {key: dict(values) for key, values in table.items() if any(values.values())}

    return {
        "fact_month": non_zero(fact_month),
        "fact_cohort_month": non_zero(cohort_month),
        "fact_follow_month": non_zero(follow_month),
        "fact_customer_lifetime": lifetime,
        "fact_last_payment_month": non_zero(last_payment_month),
        "fact_customer_day": non_zero(customer_days),
        "fact_day": non_zero(fact_day),
    }


def expected_history_to_date(tz) -> dict:
    """Per customer-month: net and paying months so far, latest paying month so far, and the
    customer's next month with movement, in Python from fact_transaction."""
    months = defaultdict(lambda: {"net": 0, "paying": False})
    for txn in FactTransaction.objects.exclude(customer=None):
        row = months[(txn.customer_id, _month_of(txn.occurred_at, tz))]
        settled = txn.settlement_amount if txn.settlement_amount is not None else txn.amount
        if txn.transaction_type == T.CHARGE:
            if txn.status == "succeeded":
                row["net"] += settled
                row["paying"] = True
        else:
            row["net"] += settled
    expected = {}
    for customer in {customer for customer, _ in months}:
        own = sorted(month for other, month in months if other == customer)
        net = paying = 0
        last_paying = None
        for position, month in enumerate(own):
            row = months[(customer, month)]
            net += row["net"]
            if row["paying"]:
                paying += 1
                last_paying = month
            following = own[position + 1] if position + 1 < len(own) else None
            expected[(customer, month)] = (net, paying, last_paying, following)
    return expected


def stored_history_to_date() -> dict:
    return {
        (row.customer_id, row.month): (
            row.net_to_date,
            row.active_months_to_date,
            row.last_payment_month_to_date,
            row.next_month,
        )
        for row in FactCustomerMonth.objects.all()
    }


def _move(txn: FactTransaction, occurred_at: dt.datetime) -> None:
    services.ensure_dim_dates_for([occurred_at])
    FactTransaction.objects.filter(pk=txn.pk).update(
        occurred_at=occurred_at, date_id=services.date_sk_for(occurred_at)
    )


def _recomputed_from_scratch() -> dict:
    services.refresh_customer_months(None)
    return report_aggregates_snapshot()


@pytest.mark.django_db
def test_webhook_path_refreshes_keep_the_aggregates_equal_to_a_recompute(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    tz = ZoneInfo("Europe/Berlin")
    ada, bob, cem = DimCustomerFactory(), DimCustomerFactory(), DimCustomerFactory()

    def refresh_and_check(*customers):
        services.refresh_customer_months([customer.stripe_id for customer in customers])
        delta_maintained = report_aggregates_snapshot()
        assert delta_maintained == expected_aggregates(tz)
        assert stored_history_to_date() == expected_history_to_date(tz)
        return delta_maintained

    FactTransactionFactory(customer=ada, occurred_at=utc(2025, 1, 10), amount=2000)
    FactTransactionFactory(customer=ada, occurred_at=utc(2025, 2, 10), amount=2100)
    refresh_and_check(ada)
    bob_february = FactTransactionFactory(
        customer=bob, occurred_at=utc(2025, 2, 28, 23, 30), amount=1500
    )  # March in Berlin
    FactTransactionFactory(customer=bob, occurred_at=utc(2025, 4, 2), amount=1600)
    refresh_and_check(bob)
    # backdated: a charge before ada's first one moves her cohort to December
    FactTransactionFactory(customer=ada, occurred_at=utc(2024, 12, 5), amount=900)
    refresh_and_check(ada)
    # a refund in a later month than its charge; a failed charge; a dispute withdrawn and reinstated
    FactTransactionFactory(
        customer=bob,
        occurred_at=utc(2025, 5, 3),
        stripe_id="re_later",
        transaction_type=T.REFUND,
        amount=-1500,
        charge_id=bob_february.stripe_id,
    )
    FactTransactionFactory(
        customer=cem,
        occurred_at=utc(2025, 3, 1),
        amount=700,
        status="failed",
        settlement_amount=None,
        fee=0,
        net=None,
    )
    refresh_and_check(bob, cem)
    FactTransactionFactory(
        customer=cem,
        occurred_at=utc(2025, 3, 9),
        amount=3300,
        currency="jpy",
        settlement_amount=2200,
    )
    FactTransactionFactory(
        customer=cem,
        occurred_at=utc(2025, 4, 9),
        stripe_id="dp_1",
        transaction_type=T.DISPUTE_WITHDRAWAL,
        amount=-3300,
        currency="jpy",
        settlement_amount=-2200,
        fee=1500,
    )
    FactTransactionFactory(
        customer=cem,
        occurred_at=utc(2025, 6, 9),
        stripe_id="dp_1",
        transaction_type=T.DISPUTE_REINSTATEMENT,
        amount=3300,
        currency="jpy",
        settlement_amount=2200,
        fee=0,
    )
    refresh_and_check(cem)
    # the dispute is won later (its withdrawal's status changes, not its day), and an earlier
    # charge in January moves ada's first payment of that month from the 10th to the 3rd
    FactTransaction.objects.filter(stripe_id="dp_1").update(status="won")
    FactTransactionFactory(customer=ada, occurred_at=utc(2025, 1, 3), amount=400)
    refresh_and_check(ada, cem)
    # a customer's only charge of a month moves to another month: April empties, June fills
    _move(FactTransaction.objects.get(customer=bob, occurred_at=utc(2025, 4, 2)), utc(2025, 6, 20))
    refresh_and_check(bob)
    # the same refresh again changes nothing
    delta_maintained = refresh_and_check(ada, bob, cem)
    # and a customer's movements all go away
    FactTransaction.objects.filter(customer=cem).delete()
    delta_maintained = refresh_and_check(cem)

    assert delta_maintained["fact_month"][(dt.date(2025, 3, 1),)]["churned_customers"] == 1
    january_3, january_10 = dt.date(2025, 1, 3), dt.date(2025, 1, 10)
    assert delta_maintained["fact_day"][(january_3,)]["paying_customers"] == 1
    assert delta_maintained["fact_day"][(january_10,)]["paying_customers"] == 0
    assert _recomputed_from_scratch() == delta_maintained


@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_of_different_customers_lose_no_update(settings):
    """Two threads, each with its own database connection, refresh different customers whose
    months overlap: every delta lands on the shared month rows."""
    customers = [DimCustomerFactory() for _ in range(8)]
    months = [utc(2025, month, 12) for month in range(1, 7)]
    for number, customer in enumerate(customers):
        for month in months[number % 3 :]:
            FactTransactionFactory(customer=customer, occurred_at=month, amount=1000 + number)
    services.refresh_customer_months(None)
    for number, customer in enumerate(customers):
        FactTransactionFactory(customer=customer, occurred_at=utc(2025, 7, 1 + number), amount=500)
        FactTransactionFactory(customer=customer, occurred_at=utc(2024, 12, 1 + number), amount=300)
    start = threading.Barrier(2)
    errors = []

    def refresh_each(own_customers):
        try:
            start.wait()
            for customer in own_customers:
                services.refresh_customer_months([customer.stripe_id])
        except Exception as exc:  # reported to the main thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh_each, args=(customers[half::2],)) for half in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    delta_maintained = report_aggregates_snapshot()
    assert delta_maintained == expected_aggregates(ZoneInfo(settings.TIME_ZONE))
    assert delta_maintained["fact_month"][(dt.date(2025, 7, 1),)]["paying_customers"] == len(
        customers
    )
    assert _recomputed_from_scratch() == delta_maintained
