"""Tables of a report page: column definitions plus rows, rendered to HTML and to CSV alike."""

import csv
import io
from dataclasses import dataclass, field

from django.contrib.admin.utils import quote
from django.urls import reverse

from reports import formatting


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"  # text, int, money, rate, ratio, month, date, datetime, customer
    sortable: bool = False

    @property
    def numeric(self) -> bool:
        return self.kind in {"int", "money", "rate", "ratio"}


@dataclass
class Cell:
    text: str
    numeric: bool = False
    url: str = ""


@dataclass
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: list[dict]
    currency: str = "usd"
    help_text: str = ""
    empty_text: str = "No data for this selection."
    extra: dict = field(default_factory=dict)

    def header(self) -> list[str]:
        currency = self.currency.upper()
        return [
            f"{column.key} ({currency})" if column.kind == "money" else column.key
            for column in self.columns
        ]

    def display_rows(self) -> list[list[Cell]]:
        return [[self._cell(row, column) for column in self.columns] for row in self.rows]

    def _cell(self, row: dict, column: Column) -> Cell:
        value = row.get(column.key)
        if column.kind == "customer":
            url = (
                reverse("admin:warehouse_dimcustomer_change", args=[quote(value)]) if value else ""
            )
            return Cell(text=value or formatting.EMPTY, url=url)
        return Cell(
            text=formatting.display_value(value, column.kind, self.currency),
            numeric=column.numeric,
            url=row.get(f"{column.key}__url", ""),
        )

    def _csv_cell(self, row: dict, column: Column) -> str:
        value = row.get(column.key)
        text = formatting.csv_value(value, column.kind, self.currency)
        # Strings come from data (emails, ids, channel names); numbers and dates from us.
        return formatting.neutralise_csv_formula(text) if isinstance(value, str) else text

    def to_csv(self) -> str:
        """The one CSV writer of the report pages."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.header())
        for row in self.rows:
            writer.writerow([self._csv_cell(row, column) for column in self.columns])
        return buffer.getvalue()
