"""A small payments history built with the factories, and the report numbers worked out
from it in plain Python (exact fractions, rounded half away from zero like PostgreSQL).

Reporting time zone America/New_York. Customers over 2024 and 2025: refunds (one in the
month after its charge), a dispute withdrawn and reinstated, a charge in JPY settled in USD,
a customer who lapses and returns, one paying in a single month, one who only fails, one
refunded in full, and a charge at 03:00 UTC on 1 January that belongs to 31 December.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from zoneinfo import ZoneInfo

from tests.factories import DimCustomerFactory, FactTransactionFactory, utc
from warehouse import services
from warehouse.models import FactTransaction

TIME_ZONE = "America/New_York"
T = FactTransaction.TransactionType
CHURN_FLOOR = Fraction(1, 50)


@dataclass(frozen=True)
class Movement:
    customer: str
    occurred_at: dt.datetime
    kind: str = T.CHARGE
    status: str = "succeeded"
    settlement: int | None = 1000  # minor units of USD
    amount: int | None = None  # as charged; defaults to the settlement amount
    currency: str = "usd"


def charge(customer, when, settlement, **kw):
    return Movement(customer, when, settlement=settlement, **kw)


MOVEMENTS = [
    # ada: every month from Nov 2024 to Mar 2025; a January charge refunded in February.
    charge("ada", utc(2024, 11, 10, 12), 2000),
    charge("ada", utc(2024, 12, 10, 12), 2000),
    charge("ada", utc(2025, 1, 10, 12), 2500),
    Movement("ada", utc(2025, 2, 2, 12), T.REFUND, settlement=-2500),
    charge("ada", utc(2025, 2, 10, 12), 2100),
    charge("ada", utc(2025, 3, 10, 12), 2200),
    Movement("ada", utc(2025, 3, 20, 12), status="failed", settlement=None, amount=2200),
    # bob: January 2024, then Dec 2024 (03:00 UTC on 1 Jan is still 31 Dec in New York),
    # January 2025, lapses in February and March, returns in April.
    charge("bob", utc(2024, 1, 15, 12), 1500),
    charge("bob", utc(2025, 1, 1, 3), 1500),
    charge("bob", utc(2025, 1, 20, 12), 1700),
    charge("bob", utc(2025, 4, 5, 12), 1900),
    # chiyo: pays in JPY, settled in USD cents; March charge disputed in April, won in May.
    charge("chiyo", utc(2025, 2, 14, 12), 3300, amount=5000, currency="jpy"),
    charge("chiyo", utc(2025, 3, 14, 12), 3300, amount=5000, currency="jpy"),
    Movement(
        "chiyo",
        utc(2025, 4, 2, 12),
        T.DISPUTE_WITHDRAWAL,
        settlement=-3300,
        amount=-5000,
        currency="jpy",
    ),
    Movement(
        "chiyo",
        utc(2025, 5, 3, 12),
        T.DISPUTE_REINSTATEMENT,
        settlement=3300,
        amount=5000,
        currency="jpy",
    ),
    # dara: two charges in March 2025 only.
    charge("dara", utc(2025, 3, 3, 12), 999),
    charge("dara", utc(2025, 3, 28, 12), 1001),
    # eli: only failed charges.
    Movement("eli", utc(2025, 2, 7, 12), status="failed", settlement=None, amount=4000),
    # fay: January 2025, refunded in full in the same month.
    charge("fay", utc(2025, 1, 5, 12), 3000),
    Movement("fay", utc(2025, 1, 25, 12), T.REFUND, settlement=-3000),
    # gus: April and May 2025.
    charge("gus", utc(2025, 4, 11, 12), 1234),
    charge("gus", utc(2025, 5, 11, 12), 4321),
]


def fee_of(movement: Movement) -> int:
    """The fee the factory stores: 2.9 % + 30 on positive settled amounts, none otherwise."""
    if movement.settlement is None or movement.settlement <= 0:
        return 0
    return movement.settlement * 29 // 1000 + 30


def build(settings) -> dict:
    """Create the customers and movements, refresh fact_customer_month; name -> stripe_id."""
    settings.TIME_ZONE = TIME_ZONE
    customers = {}
    for number, movement in enumerate(MOVEMENTS):
        if movement.customer not in customers:
            customers[movement.customer] = DimCustomerFactory(
                stripe_id=f"cus_{movement.customer}",
                email=f"{movement.customer}@example.com",
                # a fixed name: the factory's random one could begin like another customer's
                # email ("Adam …" matched the search for "ad" beside ada)
                name=f"{movement.customer.title()} Example",
                user_id=f"user-{movement.customer}",
            )
        prefix = {T.CHARGE: "ch", T.REFUND: "re"}.get(movement.kind, "dp")
        amount = movement.amount if movement.amount is not None else movement.settlement
        FactTransactionFactory(
            stripe_id=f"{prefix}_{number:04d}",
            transaction_type=movement.kind,
            status=movement.status,
            customer=customers[movement.customer],
            occurred_at=movement.occurred_at,
            amount=amount,
            currency=movement.currency,
            settlement_amount=movement.settlement,
            fee=fee_of(movement),
            net=None if movement.settlement is None else movement.settlement - fee_of(movement),
            settlement_currency="usd",
        )
    services.refresh_customer_months()
    return {name: customer.stripe_id for name, customer in customers.items()}


# --- the independent computation ------------------------------------------------------


def rounded(value: Fraction | int, places: int) -> Decimal:
    """Round half away from zero to `places` decimals, as PostgreSQL's round(numeric)."""
    with localcontext() as context:
        context.prec = 80
        exact = Decimal(Fraction(value).numerator) / Decimal(Fraction(value).denominator)
        return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def month_of(moment: dt.datetime) -> dt.date:
    local = moment.astimezone(ZoneInfo(TIME_ZONE))
    return dt.date(local.year, local.month, 1)


def add_months(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def months_from(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def month_index(month: dt.date) -> int:
    return month.year * 12 + month.month


class Expected:
    """Per-customer-month facts from MOVEMENTS, and every report computed from them."""

    def __init__(self, stripe_ids: dict):
        self.ids = stripe_ids
        self.net = defaultdict(int)  # (name, month) -> net
        self.gross = defaultdict(int)
        self.refunds = defaultdict(int)
        self.disputes = defaultdict(int)
        self.fees = defaultdict(int)
        self.charges = defaultdict(int)
        self.failed = defaultdict(int)
        self.months_with_movement = set()
        for movement in MOVEMENTS:
            key = (movement.customer, month_of(movement.occurred_at))
            self.months_with_movement.add(key)
            if movement.kind == T.CHARGE and movement.status == "failed":
                self.failed[key] += 1
                continue
            self.fees[key] += fee_of(movement)
            self.net[key] += movement.settlement
            if movement.kind == T.CHARGE:
                self.gross[key] += movement.settlement
                self.charges[key] += 1
            elif movement.kind == T.REFUND:
                self.refunds[key] += movement.settlement
            else:
                self.disputes[key] += movement.settlement
        self.customers = sorted({m.customer for m in MOVEMENTS})

    def paying(self, month: dt.date) -> set[str]:
        return {name for name in self.customers if self.charges[(name, month)] > 0}

    def first_payment(self, name: str) -> dt.date | None:
        months = [m for (n, m), count in self.charges.items() if n == name and count > 0]
        return min(months) if months else None

    def month_net(self, month: dt.date) -> int:
        return sum(self.net[(name, month)] for name in self.customers)

    def arpu(self, month: dt.date) -> Fraction | None:
        paying = len(self.paying(month))
        return Fraction(self.month_net(month), paying) if paying else None

    def churn(self, month: dt.date) -> Fraction | None:
        before = self.paying(add_months(month, -1))
        if not before:
            return None
        return Fraction(len(before - self.paying(month)), len(before))

    def monthly_metrics(self, first: dt.date, last: dt.date) -> list[dict]:
        rows = []
        for month in months_from(first, last):
            before = self.paying(add_months(month, -1))
            arpu, churn = self.arpu(month), self.churn(month)
            rows.append(
                {
                    "month": month,
                    "net_revenue": self.month_net(month),
                    "paying_customers": len(self.paying(month)),
                    "arpu": None if arpu is None else rounded(arpu, 2),
                    "previously_paying_customers": len(before),
                    "churned_customers": len(before - self.paying(month)),
                    "churn_rate": None if churn is None else rounded(churn, 6),
                }
            )
        return rows

    def ltv_summary(self, first: dt.date, last: dt.date, current: dt.date) -> dict:
        full = [m for m in months_from(first, last) if m < current]
        arpus = [a for a in map(self.arpu, full) if a is not None]
        churns = [c for c in map(self.churn, full) if c is not None]
        average_arpu = sum(arpus, Fraction(0)) / len(arpus) if arpus else None
        average_churn = sum(churns, Fraction(0)) / len(churns) if churns else None
        ltv = average_arpu / average_churn if average_arpu is not None and average_churn else None
        return {
            "full_months": len(full),
            "arpu_months": len(arpus),
            "churn_months": len(churns),
            "average_arpu": None if average_arpu is None else rounded(average_arpu, 2),
            "average_churn": None if average_churn is None else rounded(average_churn, 6),
            "ltv": None if ltv is None else rounded(ltv, 2),
        }

    def customer_values(self, first: dt.date, last: dt.date, churn_rate: Decimal | None) -> dict:
        c = max(Fraction(churn_rate) if churn_rate is not None else Fraction(0), CHURN_FLOOR)
        rows = {}
        for name in self.customers:
            paying_months = sorted(
                m for (n, m), count in self.charges.items() if n == name and count > 0 and m <= last
            )
            if not paying_months or paying_months[-1] < first:
                continue
            total = sum(net for (n, m), net in self.net.items() if n == name and m <= last)
            span = month_index(paying_months[-1]) - month_index(paying_months[0]) + 1
            gap = month_index(last) - month_index(paying_months[-1])
            spend = Fraction(total, span)
            rows[self.ids[name]] = {
                "customer_id": self.ids[name],
                "email": f"{name}@example.com",
                "first_payment_month": paying_months[0],
                "last_payment_month": paying_months[-1],
                "active_months": len(paying_months),
                "span_months": span,
                "total_net": total,
                "average_monthly_spend": rounded(spend, 2),
                "months_since_last_payment": gap,
                "predicted_remaining": int(rounded(max(spend, 0) * (1 - c) ** (gap + 1) / c, 0)),
            }
        return rows

    def cohort_retention(self, first: dt.date, last: dt.date) -> list[dict]:
        rows = []
        cohorts = sorted({self.first_payment(n) for n in self.customers} - {None})
        for cohort in [c for c in cohorts if first <= c <= last]:
            members = {n for n in self.customers if self.first_payment(n) == cohort}
            month_zero = sum(self.net[(n, cohort)] for n in members)
            for k, month in enumerate(months_from(cohort, last)):
                paying = len(members & self.paying(month))
                revenue = sum(self.net[(n, month)] for n in members)
                rows.append(
                    {
                        "cohort_month": cohort,
                        "months_since_first_payment": k,
                        "month": month,
                        "cohort_customers": len(members),
                        "paying_customers": paying,
                        "retention_rate": rounded(Fraction(paying, len(members)), 6),
                        "net_revenue": revenue,
                        "month_zero_net_revenue": month_zero,
                        "revenue_retention_rate": rounded(Fraction(revenue, month_zero), 6)
                        if month_zero
                        else None,
                    }
                )
        return rows

    def customer_flow(self, first: dt.date, last: dt.date) -> list[dict]:
        rows = []
        for month in months_from(first, last):
            kinds = {"new": 0, "retained": 0, "returning": 0}
            for name in self.paying(month):
                earlier = [
                    m
                    for (n, m), count in self.charges.items()
                    if n == name and count > 0 and m < month
                ]
                if not earlier:
                    kinds["new"] += 1
                elif max(earlier) == add_months(month, -1):
                    kinds["retained"] += 1
                else:
                    kinds["returning"] += 1
            rows.append(
                {
                    "month": month,
                    "new_customers": kinds["new"],
                    "retained_customers": kinds["retained"],
                    "returning_customers": kinds["returning"],
                    "churned_customers": len(
                        self.paying(add_months(month, -1)) - self.paying(month)
                    ),
                }
            )
        return rows

    def follow_cohort(self, cohort: dt.date, last: dt.date, basis: str) -> list[dict]:
        if basis == "first_payment":
            followed = {n for n in self.customers if self.first_payment(n) == cohort}
        else:
            followed = self.paying(cohort)
        return [
            {
                "month": month,
                "followed_customers": len(followed),
                "paying_customers": len(followed & self.paying(month)),
                "paying_share": rounded(
                    Fraction(len(followed & self.paying(month)), len(followed)), 6
                )
                if followed
                else None,
                "net_revenue": sum(self.net[(n, month)] for n in followed),
            }
            for month in months_from(cohort, last)
        ]
