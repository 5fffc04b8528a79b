"""What a report page declares: its URL, title, filter form and the function building it."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    name: str  # URL name and CSV file prefix
    title: str
    route: str  # path under /reports/
    build: Callable[..., dict]  # form's cleaned data (+ URL kwargs) -> tables, charts, ...
    form: type | None = None
    template: str = "reports/page.html"
    nav: bool = True  # listed in the navigation
    paginated: bool = False  # build takes `exporting` (a CSV holds every row, not one page)
    intro: str = ""
