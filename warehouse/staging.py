"""The staging layer's database objects: views over dj-stripe's tables (and the settlement
function they share), created by migrations from the files in warehouse/sql/staging/."""

from warehouse import sql

# In dependency order: each may read the ones before it.
STAGING_OBJECTS = [
    ("view", "stg_stripe__balance_transactions"),
    ("function", "stg_stripe__settlement"),
    ("view", "stg_stripe__charges"),
    ("view", "stg_stripe__refunds"),
    ("view", "stg_stripe__disputes"),
    ("view", "stg_stripe__dispute_balance_transactions"),
    ("view", "stg_stripe__customers"),
    ("view", "stg_stripe__payment_methods"),
]
DROP = {
    "view": "drop view if exists {name} cascade",
    "function": "drop function if exists {name}(text, jsonb) cascade",
}


def create_staging_objects(connection) -> None:
    with connection.cursor() as cursor:
        for _, name in STAGING_OBJECTS:
            cursor.execute(sql.load(f"staging/{name}"))


def drop_staging_objects(connection) -> None:
    with connection.cursor() as cursor:
        for kind, name in reversed(STAGING_OBJECTS):
            cursor.execute(DROP[kind].format(name=name))
