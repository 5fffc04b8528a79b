from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters replaced (None removes one)."""
    query = context["request"].GET.copy()
    query.pop("export", None)
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return "?" + query.urlencode()


@register.simple_tag
def sort_state(table, column):
    """How a server-sorted table is sorted by `column`, as aria-sort (the stylesheet draws
    the arrow from it)."""
    if table.sort != column.order_key:
        return {"aria": "none"}
    return {"aria": "descending" if table.descending else "ascending"}


@register.simple_tag(takes_context=True)
def sort_query(context, table, column):
    """Link sorting `table` by `column`, back at the table: descending first, toggling when
    already sorted by it; back to the first page."""
    query = context["request"].GET.copy()
    query.pop("export", None)
    query.pop("page", None)
    query["sort"] = column.order_key
    query["direction"] = "asc" if table.sort == column.order_key and table.descending else "desc"
    return f"?{query.urlencode()}#table-{table.name}"
