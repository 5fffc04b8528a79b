"""Report pages: filter form -> the page's build function (reports.pages) -> template or CSV.

One view serves every page declared in reports.pages.PAGES; the URLs come from the same list.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from reports.charts import escape_chart_text
from reports.pages import EXTRA_PAGES, PAGES, Page
from reports.staticfiles import PLOTLY_STATIC_PATH


def report_view(view):
    """Login (else redirect to the login page) and reports.view_reports (else 403)."""
    view.report_page = True  # the pages whose tables export as CSV (see the tests' registry)
    return require_GET(
        login_required(login_url="reports:login")(
            permission_required("reports.view_reports", raise_exception=True)(wraps(view)(view))
        )
    )


def blocks(charts: list, tables: list) -> list[dict]:
    """The page's charts and tables in reading order: a chart naming a table sits just above
    it; the other charts come first."""
    placed = {}
    for chart in charts:
        if chart.get("table"):
            placed.setdefault(chart["table"], []).append(chart)
    ordered = [{"chart": chart} for chart in charts if not chart.get("table")]
    for table in tables:
        ordered += [{"chart": chart} for chart in placed.get(table.name, [])]
        ordered.append({"table": table})
    return ordered


def page_view(page: Page):
    def view(request, **url_kwargs):
        form = page.form.for_query(request.GET) if page.form else None
        base = {
            "form": form,
            "page": page,
            "pages": PAGES,
            "plotly_static_path": PLOTLY_STATIC_PATH,
        }
        if form is not None and not form.is_valid():
            return render(
                request, page.template, {**base, "error": form.error_message()}, status=400
            )
        options = dict(form.cleaned_data) if form is not None else {}
        if page.paginated:
            options["exporting"] = "export" in request.GET
        context = page.build(**options, **url_kwargs)
        export = request.GET.get("export")
        if export is not None:
            tables = {table.name: table for table in context["tables"]}
            if export not in tables:
                return HttpResponse(
                    f"Unknown table {export!r}; choose one of: {', '.join(tables)}.",
                    status=400,
                    content_type="text/plain; charset=utf-8",
                )
            response = HttpResponse(tables[export].to_csv(), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{page.name}-{export}.csv"'
            return response
        # Every chart reaches the page through here: its text is escaped once, in one place.
        context["charts"] = [
            {**chart, "spec": escape_chart_text(chart["spec"])} for chart in context["charts"]
        ]
        return render(
            request,
            page.template,
            {**base, **context, "blocks": blocks(context["charts"], context["tables"])},
        )

    view.__name__ = f"{page.name}_view"
    return report_view(view)


VIEWS = {page.name: page_view(page) for page in [*PAGES, *EXTRA_PAGES]}
