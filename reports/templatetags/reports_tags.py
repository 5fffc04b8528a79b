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


@register.simple_tag(takes_context=True)
def sort_query(context, key):
    """Link for sorting by `key`: descending first, toggling when already sorted by it."""
    query = context["request"].GET.copy()
    query.pop("export", None)
    query.pop("page", None)
    current = query.get("sort", "total_net")
    direction = query.get("direction", "desc")
    query["sort"] = key
    query["direction"] = "asc" if current == key and direction == "desc" else "desc"
    return "?" + query.urlencode()
