"""The report pages, one module each, declaring their filter form, tables and charts.

`PAGES` is the navigation order; adding a page is a module with a `PAGE` declaration and
one entry here (the URLs, the navigation and the views come from this list).
"""

from reports.pages import channels, cohorts, customers, home, ltv, mrr, overview
from reports.pages.base import Page

PAGES: list[Page] = [
    home.PAGE,
    overview.PAGE,
    ltv.PAGE,
    cohorts.PAGE,
    channels.PAGE,
    mrr.PAGE,
    customers.PAGE,
]
EXTRA_PAGES: list[Page] = [customers.CUSTOMER_PAGE]

__all__ = ["PAGES", "EXTRA_PAGES", "Page"]
