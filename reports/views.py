"""Report pages: filter form -> report managers (through reports.pages) -> template or CSV."""

from functools import wraps
from pathlib import Path

import plotly
from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from reports import forms, pages
from reports.charts import escape_chart_text

PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


def report_view(view):
    """Login (else redirect to the login page) and reports.view_reports (else 403)."""
    view.report_page = True  # the pages whose tables export as CSV (see the tests' registry)
    return require_GET(
        login_required(login_url="reports:login")(
            permission_required("reports.view_reports", raise_exception=True)(wraps(view)(view))
        )
    )


def _respond(request, template, form, build_page, page_name, **page_kwargs):
    if not form.is_valid():
        return render(
            request,
            template,
            {"form": form, "page": page_name, "error": form.error_message()},
            status=400,
        )
    context = build_page(**form.cleaned_data, **page_kwargs)
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
        response["Content-Disposition"] = f'attachment; filename="{page_name}-{export}.csv"'
        return response
    # Every chart reaches the page through here: its text is escaped once, in one place.
    context["charts"] = [
        {**chart, "spec": escape_chart_text(chart["spec"])} for chart in context.get("charts", [])
    ]
    return render(
        request,
        template,
        {"form": form, "page": page_name, "plotly_version": plotly.__version__, **context},
    )


@report_view
def overview(request):
    form = forms.OverviewFilterForm.for_query(request.GET)
    return _respond(request, "reports/overview.html", form, pages.overview_page, "overview")


@report_view
def ltv(request):
    form = forms.LtvFilterForm.for_query(request.GET)
    return _respond(
        request, "reports/ltv.html", form, pages.ltv_page, "ltv", exporting="export" in request.GET
    )


@report_view
def cohorts(request):
    form = forms.CohortFilterForm.for_query(request.GET)
    return _respond(request, "reports/cohorts.html", form, pages.cohorts_page, "cohorts")


@report_view
def channels(request):
    form = forms.ChannelFilterForm.for_query(request.GET)
    return _respond(request, "reports/channels.html", form, pages.channels_page, "channels")


@require_GET
@cache_control(public=True, max_age=31536000, immutable=True)
def plotly_js(request, version):
    """plotly.js as bundled in the installed `plotly` package; the version in the URL busts
    the year-long cache when the package is upgraded."""
    if version != plotly.__version__ or not PLOTLY_JS.is_file():
        raise Http404("No such plotly.js version.")
    return FileResponse(PLOTLY_JS.open("rb"), content_type="text/javascript; charset=utf-8")


@report_view
def mrr(request):
    form = forms.MrrFilterForm.for_query(request.GET)
    return _respond(
        request, "reports/mrr.html", form, pages.mrr_page, "mrr", exporting="export" in request.GET
    )
