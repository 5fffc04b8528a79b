"""Metric wording is defined once (reports/metrics.py): docs/metrics.md carries the same glossary
and the pages label their columns with it."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from reports.metrics import _METRICS, METRICS, glossary_markdown
from reports.pages.cohorts import _matrix_table, cohorts_page
from reports.pages.ltv import ltv_page
from reports.tables import Column

DOCS = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"


def test_docs_carry_the_glossary_generated_from_the_code():
    # regenerate with: python -m reports.metrics (and paste over the block in docs/metrics.md)
    assert glossary_markdown() in DOCS.read_text()


def test_a_metric_column_takes_its_label_and_kind_from_the_glossary():
    column = Column.of("net_revenue_per_paying_customer")

    assert column.label == METRICS["net_revenue_per_paying_customer"].label
    assert column.kind == "money"
    assert "not the LTV" in METRICS["net_revenue_per_paying_customer"].definition


# Columns that name a row (a dimension), not a metric: their labels may be written inline.
DIMENSIONS = {"month", "customer_id", "email", "name", "user_id"}


def assert_columns_use_the_glossary(columns):
    for column in columns:
        if column.key in DIMENSIONS:
            continue
        entry = METRICS[column.key]
        assert (column.label, column.kind) == (entry.label, entry.kind), column


@pytest.mark.django_db
def test_cohort_and_customer_value_tables_take_their_wording_from_the_glossary():
    cohorts = cohorts_page(
        start=dt.date(2025, 1, 1),
        end=dt.date(2025, 3, 1),
        cohort=dt.date(2025, 1, 1),
        basis="first_payment",
    )
    ltv = ltv_page(
        start=dt.date(2025, 1, 1),
        end=dt.date(2025, 3, 1),
        window=6,
        sort="total_net",
        direction="desc",
        page=1,
    )
    tables = [*cohorts["tables"], *ltv["tables"]]
    assert {t.name for t in tables} >= {
        "retention_customers",
        "retention_revenue",
        "retention_detail",
        "customer_flow",
        "follow_cohort",
        "customers",
    }
    for table in tables:  # no data: the matrices have no +k columns (the next test)
        assert_columns_use_the_glossary(table.columns)


def test_a_cohort_matrix_labels_its_months_plus_k_with_the_metric_of_its_cells():
    cell = {
        "cohort_month": dt.date(2025, 1, 1),
        "cohort_customers": 4,
        "month_zero_net_revenue": 4000,
        "retention_rate": Decimal("1"),
        "revenue_retention_rate": Decimal("1"),
    }
    retention = [
        {**cell, "months_since_first_payment": 0},
        {**cell, "months_since_first_payment": 1, "retention_rate": Decimal("0.5")},
    ]
    for value_key in ("retention_rate", "revenue_retention_rate"):
        table, _, _ = _matrix_table("m", "M", retention, value_key, "", "usd")
        plus_k = [c for c in table.columns if c.key.startswith("month_") and c.key[6:].isdigit()]
        assert [(c.key, c.label) for c in plus_k] == [("month_0", "+0"), ("month_1", "+1")]
        assert {c.kind for c in plus_k} == {METRICS[value_key].kind}
        assert_columns_use_the_glossary([c for c in table.columns if c not in plus_k])


# The MRR page's columns whose CSV key differs from their metric's key.
MRR_COLUMN_METRICS = {
    "customers": "customers_with_mrr",
    "new_customers": "mrr_new_customers",
    "churned_customers": "mrr_churned_customers",
}


def test_every_metric_has_its_own_key():
    keys = [entry.key for entry in _METRICS]
    assert len(set(keys)) == len(keys)


@pytest.mark.django_db
def test_mrr_tables_take_their_wording_from_the_glossary():
    from reports.pages.mrr import mrr_page

    page = mrr_page(
        start=dt.date(2025, 1, 1),
        end=dt.date(2025, 3, 1),
        movement_month=dt.date(2025, 2, 1),
        movement_type="expansion",
    )
    tables = {table.name: table for table in page["tables"]}
    checked = 0
    for name, inline in (("monthly", {"mrr"}), ("movements", {"date", "plan", "amount"})):
        for column in tables[name].columns:
            if column.key in DIMENSIONS or column.key in inline:
                continue
            entry = METRICS[MRR_COLUMN_METRICS.get(column.key, column.key)]
            assert (column.label, column.kind) == (entry.label, entry.kind), column
            checked += 1
    assert checked == 20  # the monthly table's 18 metric columns, MRR before and after
