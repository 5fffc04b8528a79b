"""Django's PostgreSQL backend plus pre-commit callbacks: `connection.before_commit(func)`.

Django runs `on_commit` callbacks after the commit, too late for writes that must commit or
roll back with the transaction. `before_commit(func)` runs `func` inside the transaction,
right before the outermost atomic block commits; an exception from it rolls the whole
transaction back and reaches the caller. Outside any atomic block (autocommit) there is
nothing to wait for, so `func` runs at once. Under a test case's wrapping atomic blocks
(which never commit), "outermost" means the outermost block of the code under test, as
for `atomic(durable=True)`. Callbacks are dropped when the transaction rolls back.

It also keeps the names of the statements prepared on the current session
(`prepared_statements`, see warehouse/sql_files.py), emptied when a new session opens.

`send_with_next_statement(sql, sent)` sends a statement in the same round trip as the next
one the connection runs, whoever runs it, right before it (one string of statements); `sent`
is called with True once that round trip succeeded, False if it failed. Used where the
warehouse must run a statement before whatever dj-stripe runs next (the webhook's advisory
lock): it costs no round trip of its own. Dropped when the transaction ends first.
"""

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.run_before_commit: list = []
        self._running_before_commit = False
        self.prepared_statements: set[str] = set()
        self.prepared_statements_unknown = False
        self.with_next_statement: list[tuple[str, object]] = []
        self.execute_wrappers.append(self._send_with_next_statement)

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        self.prepared_statements = set()  # a new session has none
        self.prepared_statements_unknown = False
        return connection

    def send_with_next_statement(self, sql: str, sent) -> None:
        """Run `sql` (parameters interpolated) right before the next statement, in its round
        trip; then `sent(True)`, or `sent(False)` if that round trip failed. Only inside a
        transaction, which `sql` belongs to."""
        assert self.in_atomic_block, "a statement sent with the next one needs a transaction"
        self.with_next_statement.append((sql, sent))

    def _send_with_next_statement(self, execute, sql, params, many, context):
        """Execute wrapper: prepends the statements waiting for the next one."""
        if not self.with_next_statement:
            return execute(sql, params, many, context)
        waiting, self.with_next_statement = self.with_next_statement, []
        prefix = ";\n".join(text for text, _ in waiting)
        cursor = context["cursor"]
        try:
            if many or getattr(cursor.cursor, "name", None):
                # executemany, or a server-side cursor (DECLARE ... FOR one query): its own
                # round trip, first
                with self.cursor() as own:
                    own.execute(prefix)
                result = execute(sql, params, many, context)
            else:
                if params is not None:  # interpolated here, as psycopg2 would
                    sql = cursor.mogrify(sql, params).decode()
                result = execute(f"{prefix};\n{sql}", None, many, context)
        except BaseException:
            for _, sent in waiting:
                sent(False)
            raise
        for _, sent in waiting:
            sent(True)
        return result

    def in_outermost_transaction(self) -> bool:
        """True inside an atomic block of the code (not only a test case's wrapping blocks)."""
        return self.in_atomic_block and not self._only_test_case_blocks()

    def _only_test_case_blocks(self) -> bool:
        return all(getattr(block, "_from_testcase", False) for block in self.atomic_blocks)

    def before_commit(self, func) -> None:
        """Run `func()` right before the current transaction commits (now under autocommit)."""
        if self.in_outermost_transaction():
            self.run_before_commit.append(func)
        else:
            func()

    def _run_before_commit_callbacks(self) -> None:
        if self._running_before_commit:
            return  # a callback's own atomic blocks end while it runs
        self._running_before_commit = True
        try:
            while self.run_before_commit:
                self.run_before_commit.pop(0)()
        finally:
            self._running_before_commit = False

    def commit(self):
        if self.run_before_commit and not self.needs_rollback:
            try:
                self._run_before_commit_callbacks()
            except BaseException:
                self.rollback()
                raise
        self.with_next_statement = []  # nothing ran after it: nothing it had to come before
        super().commit()

    def savepoint_commit(self, sid):
        # Atomic.__exit__ has already popped the ending block: if only a test case's blocks
        # remain, this savepoint is the code's outermost transaction ending.
        if self.run_before_commit and self.atomic_blocks and self._only_test_case_blocks():
            try:
                self._run_before_commit_callbacks()
            except BaseException:
                self.run_before_commit = []
                self.savepoint_rollback(sid)
                raise
        super().savepoint_commit(sid)

    def rollback(self):
        self.run_before_commit = []
        self.with_next_statement = []
        super().rollback()

    def savepoint_rollback(self, sid):
        if self.atomic_blocks is not None and self._only_test_case_blocks():
            self.run_before_commit = []
        super().savepoint_rollback(sid)

    def close(self):
        self.run_before_commit = []
        self.with_next_statement = []
        super().close()
