"""warehouse/database_views.py lists every view and function the warehouse's `.sql` files
create, so a test database kept with --reuse-db (tests/conftest.py drops and re-creates the
list) reads the current files."""

import re

import pytest

from warehouse import sql_files
from warehouse.database_views import DATABASE_VIEWS

CREATES = re.compile(r"create or replace (view|function) (\w+)", re.IGNORECASE)


def test_every_view_file_is_listed():
    created = {}
    for path in sorted(sql_files.WAREHOUSE_SQL_DIR.rglob("*.sql")):
        for kind, name in CREATES.findall(path.read_text()):
            relative = path.relative_to(sql_files.WAREHOUSE_SQL_DIR).with_suffix("").as_posix()
            created[relative] = (kind.lower(), name)
    # the money functions carry placeholders the migration fills in (0009)
    created.pop("functions/warehouse_money_functions")
    listed = {path: kind for kind, path in DATABASE_VIEWS}
    assert listed == {path: kind for path, (kind, _) in created.items()}
    assert "staging/stg_stripe__invoice_lines" in listed


@pytest.mark.django_db
def test_listed_views_exist_after_the_session_refresh():
    from django.db import connection

    names = [path.rsplit("/", 1)[-1] for kind, path in DATABASE_VIEWS if kind == "view"]
    with connection.cursor() as cursor:
        cursor.execute(
            "select table_name from information_schema.views where table_name = any(%s)", [names]
        )
        found = {row[0] for row in cursor.fetchall()}
    assert found == set(names)
