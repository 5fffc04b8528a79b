"""The change set: receivers record, the warehouse is written once per transaction.

Counts the statements a webhook runs (each fact, dimension and mart statement at most once
per event, in-process so one connection sees them all), and checks each non-webhook path
that saves dj-stripe objects: a manual sync in a transaction (written right before its
commit, not at each save) and a rolled-back one (nothing written, nothing left pending).
`djstripe_sync_models` and the demo loader are covered by test_backfill_sync.py and
tests/demo/test_load_demo_data.py. The admin no longer saves dj-stripe objects (issue 15 made
dj-stripe's admin read-only, re-sync actions included).
"""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from devtools import webhook_delivery
from tests.factories import WebhookEndpointFactory
from warehouse.models import DimCustomer, FactCustomerMonth, FactTransaction

pytestmark = pytest.mark.django_db(transaction=True)

PAYLOADS = Path(__file__).parent / "payloads"
T = FactTransaction.TransactionType

# A statement of each warehouse table's writer, recognised by what it writes.
WAREHOUSE_WRITES = {
    "fact_transaction": "insert into fact_transaction (",
    "dim_customer": "insert into dim_customer (",
    "dim_payment_method": "insert into dim_payment_method (",
    "dim_date": "insert into dim_date (",
    "fact_customer_month": "insert into fact_customer_month (",
    "fact_month": "insert into fact_month (",
    "fact_cohort_month": "insert into fact_cohort_month (",
    "fact_follow_month": "insert into fact_follow_month (",
    "fact_customer_lifetime": "insert into fact_customer_lifetime (",
}


# The same statements once prepared on the connection (warehouse/sql_files.py): after the
# first flush of a session, a statement runs as `execute "<its file, / as __>__<digest>"`.
WAREHOUSE_FILES = {
    "fact_transaction": "facts/fact_transaction",
    "dim_customer": "facts/dim_customer",
    "dim_payment_method": "facts/dim_payment_method",
    "dim_date": "dim_date_fill",
    "fact_customer_month": "marts/fact_customer_month",
    "fact_month": "marts/fact_month",
    "fact_cohort_month": "marts/fact_cohort_month",
    "fact_follow_month": "marts/fact_follow_month",
    "fact_customer_lifetime": "marts/fact_customer_lifetime",
}


def runs_statement(sql: str, table: str) -> bool:
    prepared = 'execute "' + WAREHOUSE_FILES[table].replace("/", "__") + "__"
    return WAREHOUSE_WRITES[table] in sql or prepared in sql


def statements_per_table(queries) -> dict[str, int]:
    return {
        table: sum(runs_statement(query["sql"], table) for query in queries)
        for table in WAREHOUSE_WRITES
    }


@pytest.fixture
def post_event(stripe_double, stripe_event):
    """POST a signed event through Django's test client: in this thread, on this connection."""
    WebhookEndpointFactory(id="we_" + "changeset" * 3)
    client = Client()

    def post(event_type, data_object) -> dict[str, int]:
        body = json.dumps(stripe_event(event_type, data_object)).encode()
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                f"/stripe/webhook/{settings.STRIPE_WEBHOOK_UUID}/",
                data=body,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=webhook_delivery.signature_header(
                    body, settings.STRIPE_WEBHOOK_SECRET
                ),
            )
        assert response.status_code == 200, response.content
        return statements_per_table(queries.captured_queries)

    return post


def test_charge_succeeded_runs_each_warehouse_statement_at_most_once(shop, post_event):
    customer = shop.customer()
    card = shop.card(customer.id)
    _, charge = shop.pay(customer.id, card.id, 2100, "eur")

    statements = post_event("charge.succeeded", charge)

    assert max(statements.values()) == 1, statements
    assert statements["fact_transaction"] == 1
    assert FactTransaction.objects.get(stripe_id=charge.id).amount == 2100
    assert FactCustomerMonth.objects.get(customer_id=customer.id).gross == 2100


def test_dispute_lifecycle_events_run_each_warehouse_statement_at_most_once(shop, post_event):
    customer = shop.customer()
    card = shop.card(customer.id)
    _, charge = shop.pay(customer.id, card.id, 5000, "usd")
    post_event("charge.succeeded", charge)
    dispute = shop.open_dispute(charge.id, fee=1500)

    opened = post_event("charge.dispute.created", dispute)
    withdrawn = post_event("charge.dispute.funds_withdrawn", dispute)
    won = shop.close_dispute(dispute["id"], "won")
    reinstated = post_event("charge.dispute.funds_reinstated", won)
    closed = post_event("charge.dispute.closed", won)

    for statements in (opened, withdrawn, reinstated, closed):
        assert max(statements.values()) == 1, statements
    assert opened["fact_transaction"] == 1
    movements = {f.transaction_type: f.amount for f in FactTransaction.objects.all()}
    assert movements == {T.CHARGE: 5000, T.DISPUTE_WITHDRAWAL: -5000, T.DISPUTE_REINSTATEMENT: 5000}
    assert FactCustomerMonth.objects.get(customer_id=customer.id).net == 5000


def _payload(name: str) -> dict:
    return json.loads((PAYLOADS / f"{name}.json").read_text())


def test_manual_sync_in_a_transaction_writes_the_warehouse_once_before_the_commit(
    stripe_double,
):
    from djstripe.models import Charge, Dispute, Refund

    with CaptureQueriesContext(connection) as queries:
        with transaction.atomic():
            Charge.sync_from_stripe_data(_payload("charge_kwd_settled_usd"))
            Refund.sync_from_stripe_data(_payload("refund_kwd_settled_usd"))
            Dispute.sync_from_stripe_data(_payload("dispute_kwd_lost"))
            written_before_the_end = FactTransaction.objects.count()

    assert written_before_the_end == 0
    statements = statements_per_table(queries.captured_queries)
    assert max(statements.values()) == 1, statements
    assert statements["fact_transaction"] == 1
    assert {(f.stripe_id, f.transaction_type) for f in FactTransaction.objects.all()} == {
        ("ch_3PayloadKwd0001", T.CHARGE),
        ("re_3PayloadKwd0001", T.REFUND),
        ("dp_1PayloadKwd0001", T.DISPUTE_WITHDRAWAL),
    }


def test_rolled_back_sync_writes_nothing_and_leaves_nothing_pending(stripe_double):
    from djstripe.models import Charge

    with pytest.raises(RuntimeError), transaction.atomic():
        Charge.sync_from_stripe_data(_payload("charge_kwd_settled_usd"))
        raise RuntimeError("the caller gives up")

    assert connection.run_before_commit == []
    assert not Charge.objects.exists() and not FactTransaction.objects.exists()
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        DimCustomer.objects.exists()
    assert statements_per_table(queries.captured_queries)["fact_transaction"] == 0
