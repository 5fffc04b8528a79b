"""See stripe_dwh/db_backend/__init__.py."""

import contextvars
from contextlib import contextmanager

from django.db import OperationalError

from stripe_dwh.postgresql import base

_may_start_server = contextvars.ContextVar("may_start_embedded_server", default=True)


@contextmanager
def without_starting_server():
    """Inside this block a connection uses the embedded server only if it already runs;
    otherwise connecting raises OperationalError (a DatabaseError) instead of starting it."""
    token = _may_start_server.set(False)
    try:
        yield
    finally:
        _may_start_server.reset(token)


class DatabaseWrapper(base.DatabaseWrapper):
    def ensure_server(self) -> str:
        """Start the embedded server if it is not running; HOST becomes its socket directory.

        settings_dict is the dict in settings.DATABASES, so code that reads HOST from there
        after this call (the demo command, the benchmarks' psql) sees the running server.
        """
        from stripe_dwh import embedded_postgres  # imports pgserver only when it must start

        if not _may_start_server.get():
            running = embedded_postgres.running_socket_dir()
            if running is None:
                raise OperationalError("The embedded PostgreSQL is not running (not started here).")
            self.settings_dict["HOST"] = running
        else:
            self.settings_dict["HOST"] = embedded_postgres.socket_dir()
        return self.settings_dict["HOST"]

    def get_connection_params(self):
        # Every new connection, not only the first: the server may have been stopped since.
        self.ensure_server()
        return super().get_connection_params()
