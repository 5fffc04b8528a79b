"""`make mutants`: plant known bugs one at a time and check that the tests catch each of them.

Each mutation names a file, a distinctive snippet of its text, the text that replaces it, and
the tests that must fail once it is planted. The working tree (uncommitted changes included)
is copied once into a scratch directory; each mutation is applied there to a fresh copy of its
file and its tests are run with this checkout's virtualenv. Outcomes:

- caught: the tests failed, as they should;
- survived: the tests passed with the bug planted, so they no longer guard against it;
- not applicable: the snippet is not in the file exactly once (the code moved or changed):
  update the mutation so that it plants the same bug in the new code;
- error: pytest could not run the selection (exit code other than 0 or 1).

Only "caught" is a success: the command exits 1 if any mutation ends otherwise, or if the
selected tests do not pass without mutations (the baseline run, skipped with --no-baseline).
Whitespace in a snippet matches any run of whitespace, so reformatting does not break it.

The tests get their own database, `<DATABASE_URL's name>_mutants` (the embedded server's
`stripe_dwh_mutants` when DATABASE_URL is unset), so a run never touches the one in use.

Usage: python -m devtools.mutants [--list] [--only NAME ...] [--no-baseline]
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PROJECT_DIR = Path(__file__).resolve().parent.parent
COPY_IGNORED = shutil.ignore_patterns(
    ".git", ".venv", ".pgdata", "__pycache__", ".pytest_cache", ".ruff_cache", "node_modules"
)

E2E_REPORTS = "tests/reports/test_reports_e2e.py::"
REFUND_EVENTS = "tests/warehouse/test_refund_events_e2e.py::"
PAYMENTS_E2E = "tests/warehouse/test_payments_e2e.py::"
ACCESS = "tests/reports/test_access.py::"


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]
    why: str = ""


MUTATIONS = [
    # --- the five gaps of issue 10 --------------------------------------------------------
    Mutation(
        "refund dated at its charge's time",
        "warehouse/sql/facts/fact_transaction.sql",
        "refund.created as occurred_at,",
        "(select charge.created from stg_stripe__charges as charge"
        " where charge.charge_id = refund.charge_id) as occurred_at,",
        (E2E_REPORTS + "test_refund_made_months_after_its_charge_counts_in_its_own_month",),
    ),
    Mutation(
        "years folded in 'paid the month before'",
        "warehouse/sql/marts/int_customer_month_changes.sql",
        "lag(month) over customer_history = (month - interval '1 month')::date",
        "extract(month from lag(month) over customer_history)"
        " = extract(month from month - interval '1 month')",
        (E2E_REPORTS + "test_customer_paying_again_a_year_later_is_returning_not_retained",),
    ),
    Mutation(
        "years folded in 'pays the month after'",
        "warehouse/sql/marts/int_customer_month_changes.sql",
        "lead(month) over customer_history = (month + interval '1 month')::date",
        "extract(month from lead(month) over customer_history)"
        " = extract(month from month + interval '1 month')",
        (E2E_REPORTS + "test_customer_paying_again_a_year_later_is_returning_not_retained",),
    ),
    *[
        Mutation(
            f"{event_type} receiver disconnected",
            "warehouse/receivers.py",
            f'@receiver(djstripe_signals.WEBHOOK_SIGNALS["{event_type}"], dispatch_uid="{uid}")',
            "",
            (REFUND_EVENTS + f"test_a_refund_event_alone_records_the_refund[{event_type}]",),
        )
        for event_type, uid in [
            ("refund.created", "wh_refund_created"),
            ("refund.updated", "wh_refund_updated"),
            ("refund.failed", "wh_refund_failed"),
            ("charge.refund.updated", "wh_refund_upd"),
        ]
    ],
    Mutation(
        "a refund that fails later stays counted",
        "warehouse/sql/staging/stg_stripe__refunds.sql",
        "in ('failed', 'canceled') as reversed",
        "in ('canceled') as reversed",
        (
            REFUND_EVENTS
            + "test_a_refund_that_fails_after_it_succeeded_gives_the_money_back[refund.failed]",
        ),
    ),
    Mutation(
        "2 % churn floor replaced by a plain default",
        "reports/sql/customer_values.sql",
        "greatest(coalesce(%(churn_rate)s::numeric, 0), 0.02) as effective_churn",
        "coalesce(%(churn_rate)s::numeric, 0.02) as effective_churn",
        (
            E2E_REPORTS
            + "test_predicted_value_uses_the_two_percent_floor_at_zero_and_one_percent_churn",
        ),
    ),
    Mutation(
        "funnel paying customers counted as every customer",
        "reports/sql/channel_funnel.sql",
        "count(*) filter (where lifetime.first_payment_month is not null) as paying_customers",
        "count(*) as paying_customers",
        (
            E2E_REPORTS
            + "test_user_whose_charges_all_failed_is_an_install_but_not_a_paying_customer",
        ),
    ),
    Mutation(
        "dim_date fill skips conflicts on date_sk only",
        "warehouse/sql/dim_date_fill.sql",
        "on conflict do nothing",
        "on conflict (date_sk) do nothing",
        (
            "tests/warehouse/test_dim_date_race_e2e.py::"
            "test_concurrent_callbacks_for_a_new_day_all_succeed_and_store_the_day_once",
        ),
        why="a race: the test raises the odds with bursts of concurrent writers",
    ),
    # --- the near misses: each now has a second, independent test ---------------------------
    *[
        Mutation(
            f"charge.refunded receiver disconnected ({label})",
            "warehouse/receivers.py",
            '@receiver(djstripe_signals.WEBHOOK_SIGNALS["charge.refunded"],'
            ' dispatch_uid="wh_charge_refunded")',
            "",
            (test,),
        )
        for label, test in [
            (
                "payments test",
                PAYMENTS_E2E
                + "test_refund_settles_from_its_own_balance_transaction_in_another_currency",
            ),
            (
                "reports test",
                E2E_REPORTS + "test_refund_made_months_after_its_charge_counts_in_its_own_month",
            ),
        ]
    ],
    *[
        Mutation(
            f"charge upsert leaves the status unchanged ({label})",
            "warehouse/sql/facts/fact_transaction.sql",
            "do update set status = excluded.status,",
            "do update set",
            (test,),
        )
        for label, test in [
            ("capture test", PAYMENTS_E2E + "test_authorised_charge_counts_only_once_captured"),
            (
                "status change test",
                REFUND_EVENTS + "test_charge_status_change_is_written_to_the_existing_row",
            ),
        ]
    ],
    *[
        Mutation(
            f"permission check removed from the {page} page",
            "reports/views.py",
            f"@report_view def {page}(request):",
            f'@require_GET\n@login_required(login_url="reports:login")\ndef {page}(request):',
            (ACCESS + f"test_every_page_and_export_needs_the_permission[reports:{page}]",),
        )
        for page in ("overview", "ltv", "cohorts", "channels")
    ],
    # --- caught before issue 10: kept so that a weakened test shows up ----------------------
    Mutation(
        "integer division in churn",
        "reports/sql/monthly_metrics.sql",
        "churned_customers::numeric / nullif(previously_paying_customers, 0) as churn_rate",
        "churned_customers / nullif(previously_paying_customers, 0) as churn_rate",
        ("tests/reports/test_payment_reports.py::test_monthly_arpu_and_churn",),
    ),
    Mutation(
        "failed charges counted as gross",
        "warehouse/sql/marts/int_customer_months.sql",
        "where transaction_type = 'charge' and status = 'succeeded' ), 0) as gross,",
        "where transaction_type = 'charge' ), 0) as gross,",
        (
            PAYMENTS_E2E
            + "test_payment_intent_events_reach_the_warehouse_through_their_latest_charge",
        ),
    ),
]


def snippet_pattern(snippet: str) -> re.Pattern:
    """The snippet with each run of whitespace matching any run of whitespace (or none next
    to punctuation, where a formatter may add or drop it)."""
    parts = [re.escape(part) for part in snippet.split()]
    return re.compile(r"\s*".join(parts) if parts else r"(?!)")


def plant(source: str, mutation: Mutation) -> str | None:
    """The file's text with the bug planted, or None if the snippet is not there exactly once."""
    matches = list(snippet_pattern(mutation.old).finditer(source))
    if len(matches) != 1:
        return None
    match = matches[0]
    return source[: match.start()] + mutation.new + source[match.end() :]


def mutants_database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        sys.path.insert(0, str(PROJECT_DIR))
        from stripe_dwh import embedded_postgres

        url = embedded_postgres.database_url()
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "stripe_dwh"
    if parts.path:
        return urlunsplit(parts._replace(path=f"/{name}_mutants"))
    return url.replace("dbname=", f"dbname={name}_mutants&", 1)


def run_tests(scratch: Path, tests: list[str], env: dict) -> tuple[int, float, str]:
    started = time.monotonic()
    result = subprocess.run(
        [
            str(PROJECT_DIR / ".venv" / "bin" / "python"),
            "-m",
            "pytest",
            "--reuse-db",
            "-x",
            "-q",
            "-p",
            "no:cacheprovider",
            *tests,
        ],
        cwd=scratch,
        env=env,
        capture_output=True,
        text=True,
    )
    output = result.stdout + result.stderr
    return result.returncode, time.monotonic() - started, output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    parser.add_argument(
        "--only", nargs="+", metavar="TEXT", help="run the mutations whose name contains TEXT"
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip the unmutated run")
    args = parser.parse_args(argv)

    mutations = [m for m in MUTATIONS if not args.only or any(text in m.name for text in args.only)]
    if args.list:
        for mutation in mutations:
            print(f"{mutation.name}  [{mutation.path}]")
        return 0
    if not mutations:
        print("no mutation matches --only", file=sys.stderr)
        return 2

    env = {**os.environ, "DATABASE_URL": mutants_database_url(), "PYTHONDONTWRITEBYTECODE": "1"}
    results: list[tuple[str, str, float]] = []
    with tempfile.TemporaryDirectory(prefix="stripe_dwh_mutants_") as temp:
        scratch = Path(temp) / "repo"
        shutil.copytree(PROJECT_DIR, scratch, ignore=COPY_IGNORED)
        print(f"scratch copy: {scratch}", flush=True)

        if not args.no_baseline:
            tests = sorted({test for m in mutations for test in m.tests})
            print(f"baseline: {len(tests)} test selections without mutations ...", flush=True)
            code, seconds, output = run_tests(scratch, tests, env)
            if code != 0:
                print(output[-4000:])
                print(f"baseline FAILED (pytest exit {code}, {seconds:.0f} s): fix the tests first")
                return 1
            print(f"baseline passed ({seconds:.0f} s)", flush=True)

        for number, mutation in enumerate(mutations, 1):
            original = (PROJECT_DIR / mutation.path).read_text()
            mutated = plant(original, mutation)
            prefix = f"[{number}/{len(mutations)}] {mutation.name}"
            if mutated is None:
                print(
                    f"{prefix}: NOT APPLICABLE (snippet not found exactly once in "
                    f"{mutation.path}: {mutation.old!r})",
                    flush=True,
                )
                results.append((mutation.name, "not applicable", 0.0))
                continue
            target = scratch / mutation.path
            target.write_text(mutated)
            try:
                code, seconds, output = run_tests(scratch, list(mutation.tests), env)
            finally:
                target.write_text(original)
            outcome = {0: "survived", 1: "caught"}.get(code, "error")
            print(f"{prefix}: {outcome} ({seconds:.0f} s)", flush=True)
            if outcome == "error":
                print(output[-3000:])
            results.append((mutation.name, outcome, seconds))

    width = max(len(name) for name, _, _ in results)
    print()
    print(f"{'mutation'.ljust(width)}  outcome         seconds")
    for name, outcome, seconds in results:
        print(f"{name.ljust(width)}  {outcome.ljust(14)}  {seconds:7.0f}")
    counts = {
        o: sum(1 for _, outcome, _ in results if outcome == o)
        for o in ("caught", "survived", "not applicable", "error")
    }
    summary = ", ".join(f"{count} {o}" for o, count in counts.items() if count or o == "caught")
    print(f"mutants: {summary} of {len(results)}")
    return 0 if counts["caught"] == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
