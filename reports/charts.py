"""Chart specs made safe for Plotly, which renders an HTML-like markup in every text it draws
(<a href>, <b>, <span style>, <br>…) in labels, legends, hover text and titles.

Channel names, OS names and user ids come from data or the query string, so every string in
a spec is escaped (&, <, > as entities, which Plotly shows as the characters themselves),
except the hover/text templates: those are written in code, and data reaches them through
%{…} placeholders, which are filled with the already escaped values.
"""

from html import escape


def escape_chart_text(spec):
    """A copy of a Plotly figure spec (data and layout) with its text escaped."""
    if isinstance(spec, dict):
        return {
            key: value if key.endswith("template") else escape_chart_text(value)
            for key, value in spec.items()
        }
    if isinstance(spec, list | tuple):
        return [escape_chart_text(item) for item in spec]
    if isinstance(spec, str):
        return escape(spec, quote=False)
    return spec
