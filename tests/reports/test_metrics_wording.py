"""Metric wording is defined once (reports/metrics.py): docs/metrics.md carries the same glossary
and the pages label their columns with it."""

from pathlib import Path

from reports.metrics import METRICS, glossary_markdown
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
