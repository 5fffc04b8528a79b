"""The chart rules every report chart shares (reports/charts.py): the current month drawn as
partial, at most 8 series, and sparklines with a dashed last segment for a month to date."""

import datetime as dt

import pytest

from reports import charts

MONTHS = [dt.date(2025, m, 1) for m in (1, 2, 3)]
CURRENT = dt.date(2025, 3, 1)


def test_a_line_into_the_current_month_ends_dashed():
    full, partial = charts.month_line("Net", MONTHS, [1, 2, 3], CURRENT)

    assert full["y"] == [1, 2, None]
    assert partial["y"] == [None, 2, 3] and partial["line"]["dash"] == "dash"
    assert partial["showlegend"] is False


def test_a_line_of_full_months_only_has_no_dashed_part():
    assert len(charts.month_line("Net", MONTHS, [1, 2, 3], dt.date(2025, 4, 1))) == 1


def test_the_current_months_bar_is_hatched():
    (bars,) = charts.month_bars("Net", MONTHS, [1, 2, 3], CURRENT)

    assert bars["marker"]["pattern"]["shape"] == ["", "", "/"]


def test_no_chart_has_more_than_eight_series():
    series = [{"type": "bar", "name": str(n)} for n in range(9)]
    with pytest.raises(ValueError, match="more than 8 series"):
        charts.chart("too-many", series, charts.layout("x"))
    # hidden legend entries (the dashed continuation of a line) do not count
    assert charts.chart("ok", series[:8] + [{"showlegend": False}], charts.layout("x"))


def test_sparkline_dashes_the_month_to_date():
    line = charts.sparkline([1, 2, 3], partial_last=True, width=104, height=24)

    assert line["solid"] == "2.0,22.0 52.0,12.0"
    assert line["dashed"] == "52.0,12.0 102.0,2.0"
    assert charts.sparkline([1, None], partial_last=False)["solid"] == ""
