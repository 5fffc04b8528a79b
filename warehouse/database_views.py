"""The views the warehouse's statements read, created by migrations from their `.sql` files:
staging (views over dj-stripe's tables, and the settlement function they share; the
billing views of subscriptions and MRR too), the intermediate customer months the marts
are computed from, and the function that runs the MRR refresh's statements conditionally.
The test session drops and re-creates all of them (tests/conftest.py), so a database kept
with --reuse-db reads the current files."""

from warehouse import sql_files

# In dependency order: each may read the ones before it.
DATABASE_VIEWS = [
    # the MRR refresh's conditional statements (migration 0025)
    ("function", "functions/warehouse_execute_if"),
    ("view", "staging/stg_stripe__balance_transactions"),
    ("function", "staging/stg_stripe__settlement"),
    ("view", "staging/stg_stripe__charges"),
    ("view", "staging/stg_stripe__refunds"),
    ("view", "staging/stg_stripe__disputes"),
    ("view", "staging/stg_stripe__dispute_balance_transactions"),
    ("view", "staging/stg_stripe__customers"),
    ("view", "staging/stg_stripe__payment_methods"),
    # billing (migration 0009; they read dj-stripe's tables only)
    ("view", "staging/stg_stripe__products"),
    ("view", "staging/stg_stripe__prices"),
    ("view", "staging/stg_stripe__coupons"),
    ("view", "staging/stg_stripe__subscriptions"),
    ("view", "staging/stg_stripe__invoices"),
    ("view", "staging/stg_stripe__invoice_lines"),
    ("view", "marts/int_customer_months"),
    ("view", "marts/int_customer_month_changes"),
]
DROP = {
    "view": "drop view if exists {name} cascade",
    # each name has one signature
    "function": "drop function if exists {name} cascade",
}


def create_database_views(connection) -> None:
    with connection.cursor() as cursor:
        for _, path in DATABASE_VIEWS:
            cursor.execute(sql_files.load(path))


def drop_database_views(connection) -> None:
    with connection.cursor() as cursor:
        for kind, path in reversed(DATABASE_VIEWS):
            cursor.execute(DROP[kind].format(name=path.rsplit("/", 1)[-1]))
