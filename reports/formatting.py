"""Turn report values into the strings shown on the pages and written to CSV.

Both come from the same rounding, so a CSV holds the same numbers as its page. Money is
kept in integer (or exact decimal) minor units until here; the currency's exponent decides
the decimals (zero-decimal JPY/KRW/..., three-decimal BHD/KWD/...).
"""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from warehouse.calendar import reporting_localtime
from warehouse.money import major_units

EMPTY = "—"


def percent(share: Decimal) -> Decimal:
    """A share (0.123456) as a percentage with two decimals (12.35)."""
    return (Decimal(share) * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def csv_value(value, kind: str, currency: str) -> str:
    if value is None:
        return ""
    if kind == "money":
        return str(major_units(value, currency))
    if kind == "rate":
        return str(percent(value))
    if kind == "month":
        return value.strftime("%Y-%m")
    if isinstance(value, dt.datetime):
        # shown in the reporting time zone, like every day and month of the reports
        return reporting_localtime(value).isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# What spreadsheets read as the start of a formula (OWASP, "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_csv_formula(text: str) -> str:
    """A text cell as a spreadsheet shows it literally: prefixed with a single quote when it
    starts like a formula. Only for text from data (emails, ids, channel names): numbers
    are written as numbers, minus sign and all."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def display_value(value, kind: str, currency: str) -> str:
    if value is None:
        return EMPTY
    if kind == "money":
        return f"{major_units(value, currency):,}"
    if kind == "rate":
        return f"{percent(value)}%"
    if kind == "int":
        return f"{value:,}"
    return csv_value(value, kind, currency)
