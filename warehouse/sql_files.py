"""The one loader and runner of `.sql` files (one statement per file).

The warehouse's files are in warehouse/sql/, the reports' in reports/sql/ (passed as
`directory`); the benchmarks use it for theirs. Files are read once per process.

A piece that several statements share has one home, a fragment file (warehouse/sql/fragments/),
and each statement that uses it says so on a line of its own:

    -- include: fragments/user_acquisition_upsert.sql

`load` replaces that line, when it reads the file, with the fragment's text less its header
(the comment lines it starts with), indented like the line; the path is relative to the
directory the statement is loaded from, and a fragment may include another. A missing
fragment, or one that includes itself, fails loudly (`SqlIncludeError`) when the statement
is first loaded. The expanded text is what runs and is prepared: the same statement, with
the same plan, as if the fragment were written out in each file.

`prepared=True` runs a file as a server-side prepared statement of the session (PREPARE once
per connection, then EXECUTE with the generic plan). The webhook flush uses it: its
statements read the staging views, whose inlined joins cost more to parse and plan than to
run for a few ids; prepared, they are parsed and planned once per connection. Parameters
that are not ids or dates (the scope flags, the time zone, lock namespaces: bool, None, int,
str) are folded into the prepared text as literals, so `%(all_rows)s or id = any(...)`
becomes `false or id = any($1)` and the generic plan uses the
indexes; lists and dates are bound at each EXECUTE. With `bind_all=True` every parameter is
bound at EXECUTE (one statement whatever the values: the attribution callback's single
install, whose values differ on every call). It pays with persistent connections
(CONN_MAX_AGE > 0); with a new connection per request it costs what a plain statement does.
Session-level prepared statements do not survive a transaction-pooling pgbouncer: set
WAREHOUSE_PREPARED_STATEMENTS = False there (README, Write path).

A parameter may be `Carried`: a value that an earlier statement of the same round trip left
in a transaction-local setting (`set_config(name, value, true)`). It is read on the server
when the statement runs (an EXECUTE argument, or the expression in place of the parameter in
the plain text), so statements that need an earlier one's answer still go in one round trip.
"""

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import connections

WAREHOUSE_SQL_DIR = Path(__file__).resolve().parent / "sql"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
INCLUDE = re.compile(r"^(?P<indent>[ \t]*)-- include: (?P<path>\S+)\.sql[ \t]*$", re.MULTILINE)
# Literals folded into a prepared text make one statement per distinct value: past this many
# on one session (a value that varies per call), run the rest unprepared.
MAX_PREPARED_PER_SESSION = 200
# how a prepared statement's run starts (the transaction's plan cache mode, then EXECUTE)
GENERIC_PLAN = "set local plan_cache_mode = force_generic_plan; "


@dataclass(frozen=True)
class Carried:
    """A parameter read from the transaction-local setting `setting` when the statement runs.

    `sql_type`: "text[]" (an unset or empty setting is the empty array) or a scalar type such
    as "date" (unset or empty: null). `plus`: values known beforehand, prepended to an array.
    """

    setting: str
    sql_type: str
    plus: tuple = ()

    def expression(self, cursor) -> str:
        """The SQL that reads it (with any % doubled, to sit in a text that is mogrified)."""
        value = f"nullif(current_setting('{self.setting}', true), '')"
        if self.sql_type.endswith("[]"):
            value = f"coalesce({value}, '{{}}')::{self.sql_type}"
            if self.plus:
                known = cursor.mogrify(f"%s::{self.sql_type}", [list(self.plus)]).decode()
                value = f"({known} || {value})"
        else:
            value = f"{value}::{self.sql_type}"
        return value.replace("%", "%%")


@dataclass(frozen=True)
class Conditional:
    """A call (file, params) of a round trip that runs only if `when` holds once the
    statements before it have run: `when` is SQL without parameters, such as a test of a
    transaction-local setting that an earlier statement set. The function
    warehouse_execute_if (functions/warehouse_execute_if.sql) runs it, so a statement without
    work costs no executor start-up of its plan (prepared, it is still prepared, at its
    first call); its rows are not the round trip's answer. Consecutive Conditionals of the
    same condition run under one test of it."""

    name: str
    params: dict
    when: str


def _execute_if(cursor, when: str, statement: str) -> str:
    """The statement that runs `statement` (complete SQL, values inlined) only if `when`
    holds, with any % doubled (it sits in a text that is mogrified)."""
    literal = cursor.mogrify("%s", [statement]).decode()
    return f"select warehouse_execute_if({when}, {literal})".replace("%", "%%")


def _inline_carried(cursor, text: str, params: dict | None) -> tuple[str, dict | None]:
    """The plain text with each Carried parameter replaced by the expression that reads it."""
    if not params or not any(isinstance(value, Carried) for value in params.values()):
        return text, params

    def placeholder(match):
        value = params[match.group(1)]
        return f"({value.expression(cursor)})" if isinstance(value, Carried) else match.group(0)

    rest = {key: value for key, value in params.items() if not isinstance(value, Carried)}
    return PLACEHOLDER.sub(placeholder, text), rest


class SqlIncludeError(ValueError):
    """An `-- include:` line names a fragment that does not exist, or includes itself."""


@cache
def load(name: str, directory: Path = WAREHOUSE_SQL_DIR) -> str:
    """The text of `directory/name.sql`, its `-- include:` lines expanded."""
    return _expanded(name, Path(directory), ())


def _expanded(name: str, directory: Path, including: tuple[str, ...]) -> str:
    """The text of `directory/name.sql` with its includes expanded; `including`: the files
    whose includes led here (a cycle fails)."""
    text = (directory / f"{name}.sql").read_text()

    def include(match) -> str:
        fragment = match.group("path")
        if fragment == name or fragment in including:
            chain = " -> ".join(f"{step}.sql" for step in (*including, name, fragment))
            raise SqlIncludeError(f"{name}.sql includes itself: {chain}")
        if not (directory / f"{fragment}.sql").is_file():
            raise SqlIncludeError(
                f"{name}.sql: -- include: {fragment}.sql: no such file in {directory}"
            )
        body = _expanded(fragment, directory, (*including, name)).splitlines()
        while body and (not body[0].strip() or body[0].lstrip().startswith("--")):
            body.pop(0)  # the fragment's header
        indent = match.group("indent")
        return "\n".join(f"{indent}{line}" if line.strip() else "" for line in body)

    return INCLUDE.sub(include, text)


def _bound_at_execute(value) -> bool:
    """Ids (lists), dates and carried values vary per call: bound at EXECUTE; the rest is
    folded in."""
    return isinstance(value, list | tuple | dt.date | Carried)


# (file, directory, bind_all, parameter names, folded constants) -> (prepared text, its
# statement name, the parameters bound at EXECUTE in order): built once per process, as the
# flush sends the same statements at every event (parsing and hashing them each time cost
# about 1 ms of Python per charge.succeeded). Bounded like the session's statements.
_PREPARED_TEXTS: dict[tuple, tuple[str, str, list[str]]] = {}


def _prepared_text(cursor, name, params, directory, bind_all) -> tuple[str, str, list[str]]:
    """The text to PREPARE for these parameters, its statement name, the keys bound at
    EXECUTE ($1, $2, ... in this order)."""

    def bound_at_execute(value) -> bool:
        return bind_all or _bound_at_execute(value)

    constants = {key: value for key, value in params.items() if not bound_at_execute(value)}
    try:
        # the type too: True and 1 are equal keys but different literals
        key = (
            name,
            str(directory),
            bind_all,
            tuple(sorted(params)),
            tuple(sorted((k, type(v).__name__, v) for k, v in constants.items())),
        )
        hash(key)
    except TypeError:  # an unhashable constant: build it each time
        key = None
    if key is not None and key in _PREPARED_TEXTS:
        return _PREPARED_TEXTS[key]
    bound: list[str] = []

    def placeholder(match):
        key = match.group(1)
        if not bound_at_execute(params[key]):
            return match.group(0)  # a literal, quoted by mogrify below
        if key not in bound:
            bound.append(key)
        return f"${bound.index(key) + 1}"

    text = load(name, directory)
    body = cursor.mogrify(PLACEHOLDER.sub(placeholder, text), constants).decode()
    digest = hashlib.md5(body.encode()).hexdigest()[:12]  # noqa: S324 (a name, not security)
    prepared_text = body, f"{name.replace('/', '__')}__{digest}", bound
    if key is not None:
        if len(_PREPARED_TEXTS) >= 10 * MAX_PREPARED_PER_SESSION:
            _PREPARED_TEXTS.clear()
        _PREPARED_TEXTS[key] = prepared_text
    return prepared_text


def _call(cursor, connection, name, params, directory, prepared, preparing, bind_all) -> tuple:
    """(SQL, its arguments, the name it prepares or None) to run one file.

    `preparing`: the names the same round trip prepares before this call (a batch)."""
    text = load(name, directory)
    if not (prepared and params is not None and settings.WAREHOUSE_PREPARED_STATEMENTS):
        return (*_inline_carried(cursor, text, params), None)
    body, statement, bound = _prepared_text(cursor, name, params, directory, bind_all)
    known = connection.prepared_statements
    new = statement not in known and statement not in preparing
    if new and len(known) + len(preparing) >= MAX_PREPARED_PER_SESSION:
        return (*_inline_carried(cursor, text, params), None)
    arguments = ", ".join(
        params[key].expression(cursor) if isinstance(params[key], Carried) else "%s"
        for key in bound
    )
    # PostgreSQL would keep planning each call (its estimate of the generic plan, blind to
    # how few ids come, exceeds the custom plans'): use the generic plan, for this
    # transaction only. Each file prepared here has been checked with EXPLAIN to use its
    # indexes in its generic plan (docs/benchmarks.md, Write path v2).
    run = GENERIC_PLAN + (
        f'execute "{statement}"({arguments})' if bound else f'execute "{statement}"'
    )
    if new:
        # prepared in the same round trip as its first run
        run = f'prepare "{statement}" as {body.replace("%", "%%")}; {run}'
    values = [params[key] for key in bound if not isinstance(params[key], Carried)]
    return run, values, statement if new else None


def _conditional_parts(cursor, connection, call: Conditional, *call_args) -> tuple:
    """(SQL to run first whatever the condition, or None; the statement to run only if it
    holds; the name it prepares or None), both with their values inlined: a prepared
    statement is prepared unconditionally (the session then knows it), and only its EXECUTE
    is conditional."""
    sql, arguments, new = _call(cursor, connection, call.name, call.params, *call_args)
    text = cursor.mogrify(sql, arguments).decode() if arguments is not None else sql
    setup, marker, statement = text.rpartition(GENERIC_PLAN)
    if not marker:
        return None, text, new
    return setup + marker, statement, new


def _run_calls(
    cursor, connection, calls: list[tuple], directory: Path, prepared: bool, bind_all=False
):
    """Run (name, params) calls in one round trip; the last one's result is the cursor's.

    A call may be (name, params, bind_all) to set bind_all for itself alone, or a
    Conditional; consecutive Conditionals of the same condition run under one test."""
    pieces, preparing = [], []
    conditional: list[str] = []  # the statements of the current run of Conditionals
    condition = None

    def close_conditional() -> None:
        if conditional:
            pieces.append((_execute_if(cursor, condition, ";\n".join(conditional)), []))
            conditional.clear()

    for call in calls:
        if isinstance(call, Conditional):
            if call.when != condition:
                close_conditional()
                condition = call.when
            setup, statement, new = _conditional_parts(
                cursor, connection, call, directory, prepared, preparing, bind_all
            )
            if setup:
                pieces.append((setup.replace("%", "%%"), []))
            conditional.append(statement)
        else:
            close_conditional()
            name, params, *call_bind_all = call
            sql, arguments, new = _call(
                cursor,
                connection,
                name,
                params,
                directory,
                prepared,
                preparing,
                call_bind_all[0] if call_bind_all else bind_all,
            )
            pieces.append((sql, arguments))
        if new:
            preparing.append(new)
    close_conditional()
    if preparing and connection.prepared_statements_unknown:
        # a transaction failed around a prepare, which a rollback does not undo: start clean
        pieces.insert(0, ("deallocate all", None))
    if len(pieces) == 1:
        sql, arguments = pieces[0]
    else:
        # one string of statements (the simple query protocol runs them in order)
        sql = ";\n".join(
            cursor.mogrify(piece, arguments).decode() if arguments is not None else piece
            for piece, arguments in pieces
        )
        sql, arguments = sql.replace("%", "%%"), ()
    try:
        cursor.execute(sql, arguments)
    except BaseException:
        if prepared:
            connection.prepared_statements_unknown = True
            connection.prepared_statements.clear()
        raise
    if preparing:
        connection.prepared_statements_unknown = False
        connection.prepared_statements.update(preparing)


def execute_with_next_statement(
    name: str,
    params: dict,
    *,
    directory: Path = WAREHOUSE_SQL_DIR,
    using="default",
    prepared: bool = False,
) -> None:
    """Run a statement in the same round trip as the next statement of the connection, right
    before it, whoever runs that one (stripe_dwh/postgresql/base.py); its answer is
    discarded. Inside a transaction only. Costs no round trip of its own: the webhook's lock
    rides on dj-stripe's next query."""
    connection = connections[using]
    with connection.cursor() as cursor:
        sql, arguments, new = _call(
            cursor, connection, name, params, directory, prepared, [], False
        )
        if new and connection.prepared_statements_unknown:
            sql = f"deallocate all;\n{sql}"
        text = cursor.mogrify(sql, arguments).decode() if arguments is not None else sql

    def sent(succeeded: bool) -> None:
        if not succeeded:
            if prepared:
                connection.prepared_statements_unknown = True
                connection.prepared_statements.clear()
        elif new:
            connection.prepared_statements_unknown = False
            connection.prepared_statements.add(new)

    connection.send_with_next_statement(text, sent)


def _run(cursor, connection, name: str, params: dict | None, directory: Path, prepared: bool):
    _run_calls(cursor, connection, [(name, params)], directory, prepared)


def execute_all(
    calls: list[tuple[str, dict]],
    *,
    directory: Path = WAREHOUSE_SQL_DIR,
    using="default",
    prepared: bool = False,
) -> None:
    """Run several statements, (name, params) each, in order, in one round trip to the
    server (their results are discarded). Used where a flush runs statements that do not
    depend on each other's answers."""
    if not calls:
        return
    connection = connections[using]
    with connection.cursor() as cursor:
        _run_calls(cursor, connection, calls, directory, prepared)


def execute(
    name: str,
    params: dict | None = None,
    *,
    directory: Path = WAREHOUSE_SQL_DIR,
    using="default",
    prepared: bool = False,
) -> int:
    """Run one statement; returns the number of rows it wrote."""
    connection = connections[using]
    with connection.cursor() as cursor:
        _run(cursor, connection, name, params, directory, prepared)
        return max(cursor.rowcount, 0)


def fetch(
    name: str,
    params: dict | None = None,
    *,
    directory: Path = WAREHOUSE_SQL_DIR,
    using="default",
    prepared: bool = False,
    before: list[tuple[str, dict]] = (),
) -> list[tuple]:
    """Run one query; returns its rows.

    `before`: (name, params) statements run first, in the same round trip."""
    connection = connections[using]
    with connection.cursor() as cursor:
        _run_calls(cursor, connection, [*before, (name, params)], directory, prepared)
        return cursor.fetchall()


def fetch_dicts(
    name: str, params: dict | None = None, *, directory: Path = WAREHOUSE_SQL_DIR, using="default"
) -> list[dict]:
    """Run one query; returns one dict per row, keyed by the query's column names."""
    with connections[using].cursor() as cursor:
        cursor.execute(load(name, directory), params)
        columns = [column.name for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def fetch_one(
    name: str,
    params: dict | None = None,
    *,
    directory: Path = WAREHOUSE_SQL_DIR,
    using="default",
    prepared: bool = False,
    bind_all: bool = False,
    before: list[tuple] = (),
) -> dict:
    """Run a statement that answers one row; returns it keyed by the column names.

    `before`: (name, params) statements run first, in the same round trip; (name, params,
    bind_all) to set bind_all for that statement alone."""
    connection = connections[using]
    with connection.cursor() as cursor:
        calls = [*before, (name, params)]
        _run_calls(cursor, connection, calls, directory, prepared, bind_all)
        columns = [column.name for column in cursor.description]
        return dict(zip(columns, cursor.fetchone(), strict=True))
