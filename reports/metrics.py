"""Metric wording, defined once: the label a page shows, the kind of value, and the definition.

Pages build their columns and headline cards from these entries; the CSV header is the key
(money keys name the currency); `docs/metrics.md` carries the glossary generated from them
(`python -m reports.metrics`), and a test keeps the two identical.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    kind: str  # int, money, rate, ratio, month, text
    definition: str


_METRICS = [
    Metric(
        "net_revenue",
        "Net revenue",
        "money",
        "Succeeded charges − refunds − dispute funds withdrawn + dispute funds reinstated, at "
        "settlement amounts, before Stripe fees; each movement in the month it happened.",
    ),
    Metric("gross", "Gross", "money", "Succeeded charges at their settlement amounts."),
    Metric(
        "paying_customers",
        "Paying customers",
        "int",
        "Customers with at least one succeeded charge in the period.",
    ),
    Metric(
        "arpu",
        "ARPU",
        "money",
        "Average revenue per paying customer: net revenue / paying customers of the period.",
    ),
    Metric(
        "churn_rate",
        "Churn",
        "rate",
        "Share of the customers paying in the month before who do not pay in the month.",
    ),
    Metric(
        "ltv",
        "LTV",
        "money",
        "Lifetime value: average ARPU / average churn over a trailing window of full months "
        "(default 6); no churn in the window gives no LTV.",
    ),
    Metric(
        "refunds_and_disputes_cost",
        "Cost of refunds and disputes",
        "money",
        "Refunded + dispute funds withdrawn − dispute funds reinstated + dispute fees.",
    ),
    Metric("refund_count", "Refunds", "int", "Refunds made in the month."),
    Metric("refunded", "Refunded", "money", "Money refunded in the month (settlement amounts)."),
    Metric("refund_rate", "Refund rate", "rate", "Refunded / gross of the same month."),
    Metric(
        "disputes_opened",
        "Disputes opened",
        "int",
        "Disputes whose funds were withdrawn in the month.",
    ),
    Metric(
        "disputes_won",
        "Won",
        "int",
        "Of the disputes opened in the month, those won so far.",
    ),
    Metric(
        "disputes_lost",
        "Lost",
        "int",
        "Of the disputes opened in the month, those lost so far.",
    ),
    Metric(
        "dispute_funds_withdrawn",
        "Funds withdrawn",
        "money",
        "Dispute funds taken back from the balance in the month.",
    ),
    Metric(
        "dispute_funds_reinstated",
        "Funds reinstated",
        "money",
        "Dispute funds returned in the month (disputes won); never netted against the "
        "withdrawals of the same month.",
    ),
    Metric(
        "dispute_fees",
        "Dispute fees",
        "money",
        "Stripe's fees on dispute balance transactions (net of fees returned).",
    ),
    Metric(
        "processing_fees",
        "Processing fees",
        "money",
        "Stripe's fees on succeeded charges and refunds (dispute fees apart).",
    ),
    Metric(
        "failed_payment_rate",
        "Failed-payment rate",
        "rate",
        "Failed charges / (succeeded + failed charges).",
    ),
    Metric(
        "previously_paying_customers",
        "Paying the month before",
        "int",
        "Customers with a succeeded charge in the month before.",
    ),
    Metric(
        "churned_customers",
        "Churned",
        "int",
        "Customers who paid in the month before and do not pay in the month.",
    ),
    Metric(
        "new_customers",
        "New",
        "int",
        "Customers whose first succeeded charge is in the month.",
    ),
    Metric(
        "retained_customers",
        "Retained",
        "int",
        "Customers paying in the month who paid in the month before too.",
    ),
    Metric(
        "returning_customers",
        "Returning",
        "int",
        "Customers paying in the month who paid before, but not in the month before.",
    ),
    Metric(
        "full_months",
        "Full months",
        "int",
        "Finished months of the selected range (the current month is not full).",
    ),
    Metric(
        "average_arpu",
        "Average ARPU",
        "money",
        "Average of the monthly ARPU over the full months where it is defined.",
    ),
    Metric(
        "arpu_months",
        "Months with ARPU",
        "int",
        "Full months with paying customers (where ARPU is defined).",
    ),
    Metric(
        "average_churn",
        "Average churn",
        "rate",
        "Average of the monthly churn over the full months where it is defined.",
    ),
    Metric(
        "churn_months",
        "Months with churn",
        "int",
        "Full months with customers paying in the month before (where churn is defined).",
    ),
    Metric(
        "first_payment_month",
        "First payment",
        "month",
        "The month of the customer's first succeeded charge.",
    ),
    Metric(
        "last_payment_month",
        "Last payment",
        "month",
        "The month of the customer's last succeeded charge (up to the last selected month).",
    ),
    Metric(
        "active_months",
        "Active months",
        "int",
        "Months with a succeeded charge of the customer.",
    ),
    Metric(
        "span_months",
        "Span (months)",
        "int",
        "Months from the first to the last payment month, both included (at least 1).",
    ),
    Metric(
        "total_net",
        "Total net revenue",
        "money",
        "The customer's net revenue over all months up to the last selected month.",
    ),
    Metric(
        "average_monthly_spend",
        "Average monthly spend",
        "money",
        "Total net revenue / span.",
    ),
    Metric(
        "months_since_last_payment",
        "Months since last payment",
        "int",
        "Months from the last payment month to the last selected month (g).",
    ),
    Metric(
        "predicted_remaining",
        "Predicted remaining value",
        "money",
        "max(average monthly spend, 0) × (1 − c)^(g + 1) / c with c = max(average churn, 2 %) "
        "and g = months since the last payment; whole minor units.",
    ),
    Metric(
        "cohort_month",
        "Cohort",
        "month",
        "The month of a customer's first succeeded charge.",
    ),
    Metric(
        "cohort_customers",
        "Cohort customers",
        "int",
        "Customers whose first succeeded charge is in the cohort month.",
    ),
    Metric(
        "months_since_first_payment",
        "k",
        "int",
        "Months from the cohort month to the month of the cell.",
    ),
    Metric(
        "month_zero_net_revenue",
        "Month 0 net revenue",
        "money",
        "The cohort's net revenue in its cohort month.",
    ),
    Metric(
        "retention_rate",
        "Retention",
        "rate",
        "Share of the cohort paying in cohort month + k.",
    ),
    Metric(
        "revenue_retention_rate",
        "Revenue retention",
        "rate",
        "The cohort's net revenue in cohort month + k / its month 0 net revenue (none when "
        "that is 0).",
    ),
    Metric(
        "followed_customers",
        "Followed customers",
        "int",
        "The followed month's customers: its cohort, or everyone who paid in it.",
    ),
    Metric(
        "paying_share",
        "Share paying",
        "rate",
        "Followed customers paying in the month / followed customers.",
    ),
    Metric("succeeded_charges", "Succeeded charges", "int", "Charges that succeeded."),
    Metric("failed_charges", "Failed charges", "int", "Charges that failed."),
    Metric(
        "installs",
        "First installs",
        "int",
        "App users whose first install ever falls in the selected days, by its channel.",
    ),
    Metric(
        "conversion_rate",
        "Conversion",
        "rate",
        "Paying customers / first installs of the channel.",
    ),
    Metric(
        "revenue_per_install",
        "Revenue per install",
        "money",
        "Net revenue to date of the channel's customers / its first installs.",
    ),
    Metric(
        "net_revenue_per_paying_customer",
        "Net revenue per paying customer",
        "money",
        "Net revenue to date of the channel's customers / its paying customers (realised "
        "value, not the LTV).",
    ),
    Metric(
        "mrr",
        "MRR",
        "money",
        "Monthly recurring revenue: each subscription's price × quantity per month after "
        "discounts, excluding tax, in the settlement currency, at the end of the period "
        "(trials, metered and one-off prices count 0).",
    ),
    Metric("arr", "ARR", "money", "Annual recurring revenue: 12 × MRR."),
    Metric(
        "net_new_mrr",
        "Net new MRR",
        "money",
        "New + expansion + reactivation − contraction − churn MRR (the change in MRR).",
    ),
    Metric(
        "quick_ratio",
        "Quick Ratio",
        "ratio",
        "(New + expansion + reactivation MRR) / (contraction + churn MRR); none without losses.",
    ),
    Metric(
        "arpa",
        "ARPA",
        "money",
        "Average revenue per account: MRR / customers with MRR.",
    ),
    Metric("customers_with_mrr", "Customers with MRR", "int", "Customers whose MRR is > 0."),
    Metric("new_mrr", "New", "money", "MRR of customers' first MRR ever (from 0 to > 0)."),
    Metric(
        "mrr_new_customers",
        "New (customers)",
        "int",
        "Customers with a new movement (CSV column `new_customers` on the MRR page).",
    ),
    Metric(
        "expansion_mrr",
        "Expansion",
        "money",
        "MRR gained by customers who already had MRR (upgrade, more seats, a second "
        "subscription, a discount ending).",
    ),
    Metric("expansion_customers", "Expansion (customers)", "int", "Customers with an expansion."),
    Metric(
        "reactivation_mrr",
        "Reactivation",
        "money",
        "MRR of customers coming back from 0 after an earlier churn.",
    ),
    Metric(
        "reactivation_customers",
        "Reactivation (customers)",
        "int",
        "Customers with a reactivation.",
    ),
    Metric(
        "contraction_mrr",
        "Contraction",
        "money",
        "MRR lost by customers who keep some MRR (downgrade, fewer seats, cancelling one of "
        "two subscriptions).",
    ),
    Metric(
        "contraction_customers",
        "Contraction (customers)",
        "int",
        "Customers with a contraction.",
    ),
    Metric("churn_mrr", "Churn", "money", "MRR lost by customers going to 0."),
    Metric(
        "mrr_churned_customers",
        "Churn (customers)",
        "int",
        "Customers whose MRR went to 0 (CSV column `churned_customers` on the MRR page).",
    ),
    Metric(
        "customer_churn_rate",
        "Customer churn",
        "rate",
        "Customers who churned in the month / customers with MRR at the start of the month.",
    ),
    Metric(
        "gross_mrr_churn_rate",
        "Gross MRR churn",
        "rate",
        "(Contraction + churn MRR) / MRR at the start of the month.",
    ),
    Metric(
        "net_mrr_churn_rate",
        "Net MRR churn",
        "rate",
        "(Contraction + churn − expansion − reactivation MRR) / MRR at the start of the month.",
    ),
    Metric("mrr_before", "MRR before", "money", "A customer's MRR before a movement."),
    Metric("mrr_after", "MRR after", "money", "A customer's MRR after a movement."),
]

METRICS = {metric.key: metric for metric in _METRICS}
assert len(METRICS) == len(_METRICS), "two metrics share a key"


def metric(key: str) -> Metric:
    return METRICS[key]


GLOSSARY_START = "<!-- glossary: generated by `python -m reports.metrics`, do not edit -->"
GLOSSARY_END = "<!-- end of glossary -->"


def glossary_markdown() -> str:
    lines = [GLOSSARY_START, "", "| Metric | CSV column | Definition |", "|---|---|---|"]
    lines += [f"| {m.label} | `{m.key}` | {m.definition} |" for m in _METRICS]
    return "\n".join([*lines, "", GLOSSARY_END])


if __name__ == "__main__":
    print(glossary_markdown())
