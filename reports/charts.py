"""Chart specs (Plotly JSON, drawn by reports/static/reports/charts.js) and sparklines.

Plotly renders an HTML-like markup in every text it draws (<a href>, <b>, <span style>, <br>…)
in labels, legends, hover text and titles. Channel names, OS names and user ids come from data
or the query string, so every string of a spec is escaped (escape_chart_text, applied by the
view to every chart) except the hover/text templates, written in code (data reaches them
through %{…} placeholders, filled with the already escaped values), and the heatmap cells'
links, URLs built by reverse() that the page follows and Plotly never draws.

Every chart of the reports goes through these helpers, so they all share the same rules:
months on a category axis as YYYY-MM, the current (unfinished) month drawn as partial
(dashed line, hatched bar, heatmap cell marked *), at most MAX_SERIES series, round ticks
(Plotly's automatic ticks; a second axis does not sync its ticks to the first).
"""

import datetime as dt
from decimal import Decimal
from html import escape

from warehouse.money import major_units

MAX_SERIES = 8
PARTIAL_PATTERN = {"shape": "/", "solidity": 0.5}


def month_label(month: dt.date) -> str:
    return month.strftime("%Y-%m")


def major(value, currency: str):
    return None if value is None else float(major_units(value, currency))


def pct(value):
    return None if value is None else float(Decimal(value) * 100)


def month_line(name, months, values, current_month, **trace):
    """A line over months; the segment into the current month is dashed (partial)."""
    labels = [month_label(m) for m in months]
    full = [v if m < current_month else None for m, v in zip(months, values, strict=True)]
    traces = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": name,
            "legendgroup": name,
            "x": labels,
            "y": full,
            **trace,
        }
    ]
    if months and months[-1] >= current_month and len(months) > 1:
        partial = [
            v
            if m >= current_month or (i + 1 < len(months) and months[i + 1] >= current_month)
            else None
            for i, (m, v) in enumerate(zip(months, values, strict=True))
        ]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": f"{name} (to date)",
                "legendgroup": name,
                "showlegend": False,
                "x": labels,
                "y": partial,
                "line": {"dash": "dash"},
                "marker": {"symbol": "circle-open"},
                **{k: v for k, v in trace.items() if k in ("yaxis", "hovertemplate")},
            }
        )
    return traces


def month_bars(name, months, values, current_month, **trace):
    """Bars over months; the current month's bar is hatched (partial)."""
    return [
        {
            "type": "bar",
            "name": name,
            "x": [month_label(m) for m in months],
            "y": list(values),
            "marker": {
                "pattern": {
                    **PARTIAL_PATTERN,
                    "shape": ["/" if m >= current_month else "" for m in months],
                }
            },
            **trace,
        }
    ]


def heatmap_cell_text(percent, month: dt.date, current_month: dt.date) -> str:
    """A heatmap cell's label: its value in whole %, marked * when the cell's month is the
    current (unfinished) one; blank for an empty cell."""
    if percent is None:
        return ""
    return f"{percent:.0f}%" + ("*" if month >= current_month else "")


def count_axis(values, **extra) -> dict:
    """A y axis of counts: integer ticks only (no 0.5 customers), from zero."""
    largest = max((abs(v) for v in values if v is not None), default=0)
    axis = {"rangemode": "tozero", "tickformat": ",d"}
    if largest <= 10:
        axis["dtick"] = 1
    return {**axis, **extra}


def layout(title: str, **extra) -> dict:
    base = {
        "title": {"text": title},
        "xaxis": {"type": "category"},
        "legend": {"orientation": "h", "y": -0.2},
    }
    for key, value in extra.items():
        base[key] = {**base.get(key, {}), **value} if isinstance(value, dict) else value
    return base


def chart(chart_id: str, data: list, chart_layout: dict, *, table: str = "", links=None) -> dict:
    """A chart of the page; `table` places it just above that table, `links` (one URL per
    heatmap cell, rows by columns) makes a click on a cell open its URL."""
    if len([t for t in data if t.get("showlegend", True)]) > MAX_SERIES:
        raise ValueError(f"chart {chart_id} has more than {MAX_SERIES} series")
    return {
        "id": chart_id,
        "table": table,
        "spec": {"data": data, "layout": chart_layout, "links": links or []},
    }


def sparkline(values, *, partial_last: bool, width: int = 120, height: int = 32) -> dict:
    """SVG polyline points for a small trend line; the last segment dashed when the last
    value is a month to date. Missing values break nothing: they are left out."""
    points = [(i, float(v)) for i, v in enumerate(values) if v is not None]
    if len(points) < 2:
        return {"width": width, "height": height, "solid": "", "dashed": ""}
    low = min(v for _, v in points)
    high = max(v for _, v in points)
    span = (high - low) or 1.0
    step = (width - 4) / max(len(values) - 1, 1)

    def xy(index, value):
        return f"{2 + index * step:.1f},{height - 2 - (value - low) / span * (height - 4):.1f}"

    coords = [xy(i, v) for i, v in points]
    if partial_last and points[-1][0] == len(values) - 1:
        return {
            "width": width,
            "height": height,
            "solid": " ".join(coords[:-1]),
            "dashed": " ".join(coords[-2:]),
        }
    return {"width": width, "height": height, "solid": " ".join(coords), "dashed": ""}


def escape_chart_text(spec):
    """A copy of a Plotly figure spec (data and layout) with its text escaped."""
    if isinstance(spec, dict):
        return {
            key: value if key.endswith("template") or key == "links" else escape_chart_text(value)
            for key, value in spec.items()
        }
    if isinstance(spec, list | tuple):
        return [escape_chart_text(item) for item in spec]
    if isinstance(spec, str):
        return escape(spec, quote=False)
    return spec
