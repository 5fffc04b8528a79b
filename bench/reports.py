"""Step "reports": each report page's queries and full render, beside the original queries.

Pages are fetched through Django's test client, logged in as a superuser, in this process
(no HTTP server in the way): the page time is the whole view + template render, the query
time is the sum of the database time of every query the request ran (measured with a
connection execute wrapper). The baselines are the original analysis queries translated to
this schema (bench/baseline/*.sql), run on the same connection with the same as_of.
"""

import time
from pathlib import Path

from bench.stats import summary_ms

BASELINE_DIR = Path(__file__).resolve().parent / "baseline"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
PAGES = [
    ("home", "/reports/"),
    ("overview", "/reports/overview/"),
    ("ltv", "/reports/ltv/"),
    # the customers table's last page at the default sort ({ltv_last_page} is worked out first)
    ("ltv_last", "/reports/ltv/?page={ltv_last_page}"),
    ("cohorts", "/reports/cohorts/"),
    ("channels", "/reports/channels/"),
    ("mrr", "/reports/mrr/"),
    ("customers", "/reports/customers/"),
    # a search by a customer's whole email, and that customer's page ({customer_*} from the
    # customer with the most net revenue)
    ("customer_search", "/reports/customers/?q={customer_email}"),
    ("customer", "/reports/customers/{customer_id}/"),
]
# Which original queries answered the questions a page answers (the page's baseline).
PAGE_BASELINES = {
    "home": [],
    "overview": [],
    "ltv": ["arpu", "churn", "ltv", "customer_estimate"],
    "cohorts": ["new_retained_returning", "cohort_retention", "returning_from_january"],
    "channels": ["duplicate_installs", "top_android_channels"],
    "mrr": [],
}
# Issue 17's targets at 1,000,000 charges: the page's queries and its full render (p50).
QUERIES_TARGET_MS = 50
PAGE_TARGET_MS = 100


class QueryTimer:
    """Connection execute wrapper: the database time and text of every query of a request."""

    def __init__(self):
        self.queries = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((time.perf_counter() - started, sql, params))


def _as_of():
    from django.db import connection
    from django.utils import timezone

    with connection.cursor() as cursor:
        cursor.execute("select max(occurred_at) from fact_transaction")
        latest = cursor.fetchone()[0]
    return latest or timezone.now()


def _superuser_client():
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.update_or_create(
        username="bench-superuser",
        defaults={"is_superuser": True, "is_staff": True, "is_active": True},
    )
    client = Client()
    client.force_login(user)
    return client


def page_parameters() -> dict:
    """The values the PAGES paths need: the LTV table's last page at the default selection,
    and the customer with the most net revenue (its id and email)."""
    from urllib.parse import quote

    from django.db import connection

    from reports.forms import LtvFilterForm
    from reports.pages.ltv import ltv_page

    form = LtvFilterForm.for_query({})
    form.is_valid()
    ltv = ltv_page(**form.cleaned_data)
    with connection.cursor() as cursor:
        cursor.execute(
            "select customer.stripe_id, customer.email from fact_customer_lifetime as lifetime"
            " inner join dim_customer as customer on customer.stripe_id = lifetime.customer_id"
            " order by lifetime.total_net desc, lifetime.customer_id limit 1"
        )
        customer_id, email = cursor.fetchone() or ("none", "none")
    return {
        "ltv_last_page": ltv["pagination"]["last"],
        "customer_id": quote(customer_id),
        "customer_email": quote(email),
    }


def time_page(client, path: str, runs: int) -> dict:
    from django.db import connection

    client.get(path)  # warm-up: imports, template compilation, cold caches
    page_seconds, query_seconds, query_counts, statuses = [], [], [], []
    per_query = {}  # the query's first line (its "-- purpose" header) -> seconds of each run
    slowest = None
    last_queries = []
    for _ in range(runs):
        timer = QueryTimer()
        with connection.execute_wrapper(timer):
            started = time.perf_counter()
            response = client.get(path)
            page_seconds.append(time.perf_counter() - started)
        statuses.append(response.status_code)
        query_seconds.append(sum(q[0] for q in timer.queries))
        query_counts.append(len(timer.queries))
        last_queries = timer.queries
        for seconds, sql, _ in timer.queries:
            label = sql.strip().splitlines()[0][:110] if sql.strip() else "?"
            per_query.setdefault(label, []).append(seconds)
        if timer.queries:
            candidate = max(timer.queries, key=lambda q: q[0])
            if slowest is None or candidate[0] > slowest[0]:
                slowest = candidate
    return {
        "path": path,
        "status": sorted(set(statuses)),
        "page": summary_ms(page_seconds),
        "queries": summary_ms(query_seconds),
        "query_count": max(query_counts) if query_counts else 0,
        "blocks": page_blocks(last_queries),
        # p50 per distinct query over the runs (a query run twice per request counts twice)
        "query_breakdown_p50_ms": {
            label: round(sorted(times)[len(times) // 2] * 1000 * len(times) / runs, 1)
            for label, times in sorted(per_query.items(), key=lambda item: -sum(item[1]))
        },
        "slowest_query": None
        if slowest is None
        else {
            "ms": round(slowest[0] * 1000, 1),
            "sql": slowest[1],
            "params": slowest[2],
        },
    }


def _statement(sql: str) -> str:
    """The SQL without its leading comment lines (the .sql files' headers)."""
    lines = sql.strip().splitlines()
    while lines and lines[0].lstrip().startswith("--"):
        lines.pop(0)
    return "\n".join(lines).lstrip()


def page_blocks(queries) -> int | None:
    """Shared buffers (hit + read) the page's read queries touch, by EXPLAIN (ANALYZE,
    BUFFERS): the work a page does, which a busy machine does not change (its milliseconds
    it does), so that the scales compare even when their runs met different loads."""
    from django.db import connection

    total = 0
    with connection.cursor() as cursor:
        for _, sql, params in queries:
            statement = _statement(sql)
            if not statement.lower().startswith(("select", "with")):
                continue
            cursor.execute("explain (analyze, buffers, format json) " + sql, params)
            plan = cursor.fetchone()[0]
            plan = plan[0]["Plan"] if isinstance(plan, list) else plan
            total += plan.get("Shared Hit Blocks", 0) + plan.get("Shared Read Blocks", 0)
    return total


def time_baseline(name: str, as_of, runs: int, budget_seconds: float) -> dict:
    """Warm-up once, then `runs` runs, fewer if one run would blow the time budget."""
    from django.db import connection

    from warehouse.sql_files import load

    sql = load(name, BASELINE_DIR)
    params = {"as_of": as_of}
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(sql, params)
        rows = len(cursor.fetchall())
        warm_up = time.perf_counter() - started
        planned = (
            runs if warm_up * runs <= budget_seconds else max(1, int(budget_seconds // warm_up))
        )
        seconds = []
        for _ in range(planned):
            started = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            seconds.append(time.perf_counter() - started)
    return {"rows": rows, "warm_up_ms": round(warm_up * 1000, 1), **summary_ms(seconds)}


def explain(sql: str, params) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("explain (analyze, buffers) " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def run(runs: int = 5, baseline_budget_seconds: float = 120, explain_slowest: bool = True) -> dict:
    as_of = _as_of()
    client = _superuser_client()
    print(
        f"reports: {runs} runs per page after a warm-up, as_of {as_of:%Y-%m-%d %H:%M}", flush=True
    )
    parameters = page_parameters()
    pages = {}
    for name, path in PAGES:
        pages[name] = result = time_page(client, path.format(**parameters), runs)
        print(
            f"  page {name:<9} status {result['status']} page p50 "
            f"{result['page'].get('p50_ms')} ms, queries p50 {result['queries'].get('p50_ms')} "
            f"ms ({result['query_count']} queries, {result['blocks']:,} blocks)",
            flush=True,
        )
    baselines = {}
    for path in sorted(BASELINE_DIR.glob("*.sql")):
        baselines[path.stem] = result = time_baseline(
            path.stem, as_of, runs, baseline_budget_seconds
        )
        print(
            f"  baseline {path.stem:<24} p50 {result.get('p50_ms')} ms over {result['n']} "
            f"runs ({result['rows']} rows)",
            flush=True,
        )
    for name, page in pages.items():
        names = PAGE_BASELINES.get(name, [])
        baseline_p50 = sum(baselines[b]["p50_ms"] for b in names) if names else None
        page["baseline"] = names
        page["baseline_p50_ms"] = round(baseline_p50, 1) if baseline_p50 is not None else None
        queries_p50 = page["queries"].get("p50_ms")
        page["speedup_vs_baseline"] = (
            round(baseline_p50 / queries_p50, 1) if baseline_p50 and queries_p50 else None
        )
        page["target_met"] = (
            page["status"] == [200]
            and page["page"].get("p50_ms", 1e9) <= PAGE_TARGET_MS
            and page["queries"].get("p50_ms", 1e9) <= QUERIES_TARGET_MS
        )
        slowest = page.get("slowest_query")
        if explain_slowest and slowest and page["status"] == [200]:
            plan = explain(slowest["sql"], slowest["params"])
            out = RESULTS_DIR / f"explain-{name}.txt"
            out.write_text(
                f"-- slowest query of {page['path']} ({slowest['ms']} ms)\n"
                f"{slowest['sql']}\n-- params: {slowest['params']!r}\n\n{plan}\n"
            )
            page["explain_file"] = str(out.relative_to(RESULTS_DIR.parent.parent))
    return {"as_of": as_of.isoformat(), "runs": runs, "pages": pages, "baselines": baselines}
