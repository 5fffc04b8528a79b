"""The `-- include:` lines of the `.sql` files (warehouse/sql_files.py): a shared fragment is
expanded where the line stands, and a missing or circular one fails when the file is loaded."""

from pathlib import Path

import pytest

from warehouse import sql_files

REPORTS_SQL_DIR = Path(sql_files.__file__).resolve().parent.parent / "reports" / "sql"


def write(directory: Path, name: str, text: str) -> None:
    path = directory / f"{name}.sql"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_an_include_is_replaced_by_the_fragment_without_its_header_indented_like_the_line(
    tmp_path,
):
    write(
        tmp_path,
        "fragments/pick",
        "-- purpose: a fragment\n-- params: none\nselect 1 as one\n\nfrom -- include: no\nt\n",
    )
    write(
        tmp_path,
        "statement",
        "-- purpose: the statement\nwith picked as (\n    -- include: fragments/pick.sql\n)\n"
        "select * from picked\n",
    )
    assert sql_files.load("statement", tmp_path) == (
        "-- purpose: the statement\nwith picked as (\n"
        "    select 1 as one\n\n    from -- include: no\n    t\n)\nselect * from picked\n"
    )


def test_a_fragment_may_include_another(tmp_path):
    write(tmp_path, "fragments/inner", "-- purpose: inner\nwhere true\n")
    write(
        tmp_path,
        "fragments/outer",
        "-- purpose: outer\nselect 1\n-- include: fragments/inner.sql\n",
    )
    write(tmp_path, "statement", "-- include: fragments/outer.sql\n")
    assert sql_files.load("statement", tmp_path) == "select 1\nwhere true\n"


def test_a_missing_include_fails_naming_the_file_and_the_fragment(tmp_path):
    write(tmp_path, "statement", "select 1\n-- include: fragments/gone.sql\n")
    with pytest.raises(sql_files.SqlIncludeError, match=r"statement\.sql: .*fragments/gone\.sql"):
        sql_files.load("statement", tmp_path)


def test_a_circular_include_fails(tmp_path):
    write(tmp_path, "fragments/a", "-- include: fragments/b.sql\n")
    write(tmp_path, "fragments/b", "-- include: fragments/a.sql\n")
    write(tmp_path, "statement", "-- include: fragments/a.sql\n")
    with pytest.raises(sql_files.SqlIncludeError, match="includes itself"):
        sql_files.load("statement", tmp_path)


@pytest.mark.parametrize("directory", [sql_files.WAREHOUSE_SQL_DIR, REPORTS_SQL_DIR])
def test_every_include_of_the_project_resolves(directory):
    names = [
        path.relative_to(directory).with_suffix("").as_posix()
        for path in sorted(directory.rglob("*.sql"))
    ]
    assert names
    for name in names:
        # loading fails on a missing fragment; what is loaded has no include left
        assert not sql_files.INCLUDE.search(sql_files.load(name, directory)), name


def test_the_user_acquisition_rule_is_written_once_and_used_by_its_three_statements():
    rule = "where (excluded.installed_at, excluded.install_id)"
    raw = {
        path.name: path.read_text().count(rule)
        for path in sql_files.WAREHOUSE_SQL_DIR.rglob("*.sql")
        if rule in path.read_text()
    }
    assert raw == {"user_acquisition_conflict.sql": 1}
    for name in ("marts/fact_user_acquisition", "install_stage_facts", "install_upsert_one"):
        assert sql_files.load(name).count(rule) == 1, name
