"""Tables of a report page: column definitions plus rows, rendered to HTML and to CSV alike."""

import csv
import io
from dataclasses import dataclass, field

from django.urls import reverse

from reports import formatting
from reports.metrics import metric


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"  # text, int, money, rate, ratio, month, date, datetime, customer
    sortable: bool = False
    html: bool = True  # shown on the page
    csv: bool = True  # written to the CSV (codes beside their labels, for example)
    sort_key: str = ""  # the server-side sort key, when it differs from `key`

    @classmethod
    def of(cls, metric_key: str, **options) -> "Column":
        """The column of a metric, with its wording and kind from reports.metrics; `key`
        names the rows' value when it differs from the metric's (a cohort matrix's +k
        columns all hold the same metric)."""
        entry = metric(metric_key)
        key = options.pop("key", metric_key)
        return cls(key, options.pop("label", entry.label), entry.kind, **options)

    @property
    def order_key(self) -> str:
        return self.sort_key or self.key

    @property
    def numeric(self) -> bool:
        return self.kind in {"int", "money", "rate", "ratio"}


# A channel as the pages show it: by its label (dim_channel.channel_label, else the code), with
# the code beside it in the CSV only.
CHANNEL_COLUMNS = [
    Column("channel_label", "Channel"),
    Column("channel_name", "Channel code", html=False),
]


@dataclass
class Cell:
    text: str
    numeric: bool = False
    url: str = ""
    sort_value: str = ""


@dataclass
class Table:
    """`sort`/`descending` name the server-side order of a paginated table (headers link to
    re-sorted pages); other tables sort in the browser (reports/static/reports/tables.js)."""

    name: str
    title: str
    columns: list[Column]
    rows: list[dict]
    currency: str = "usd"
    help_text: str = ""
    empty_text: str = "No data for this selection."
    sort: str = ""
    descending: bool = True
    extra: dict = field(default_factory=dict)

    @property
    def html_columns(self) -> list[Column]:
        return [column for column in self.columns if column.html]

    @property
    def server_sorted(self) -> bool:
        return bool(self.sort)

    def header(self) -> list[str]:
        currency = self.currency.upper()
        return [
            f"{column.key} ({currency})" if column.kind == "money" else column.key
            for column in self.columns
            if column.csv
        ]

    def display_rows(self) -> list[list[Cell]]:
        return [[self._cell(row, column) for column in self.html_columns] for row in self.rows]

    def _cell(self, row: dict, column: Column) -> Cell:
        value = row.get(column.key)
        if column.kind == "customer":
            url = reverse("reports:customer", args=[value]) if value else ""
            return Cell(text=value or formatting.EMPTY, url=url, sort_value=value or "")
        return Cell(
            text=formatting.display_value(value, column.kind, self.currency),
            numeric=column.numeric,
            sort_value=formatting.csv_value(value, column.kind, self.currency),
            url=row.get(f"{column.key}_url", ""),
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
            writer.writerow([self._csv_cell(row, column) for column in self.columns if column.csv])
        return buffer.getvalue()
