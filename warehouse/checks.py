"""System-check adjustment, so that `manage.py check` starts no database server.

Two of dj-stripe's checks query WebhookEndpoint on every `check` (and skip themselves on a
DatabaseError, "database most likely not migrated yet"). On the embedded PostgreSQL that
query would start the server just to load the project. Unless a command asks for databases
(`check --database default`, `migrate`), they now run without starting it: a running
server is queried exactly as before, a stopped one is a DatabaseError dj-stripe skips.
With DATABASE_URL nothing changes.
"""

import functools

from django.core import checks

from stripe_dwh.db_backend.base import without_starting_server


def _without_starting_server_unless_asked(check):
    @functools.wraps(check)
    def wrapped(app_configs=None, databases=None, **kwargs):
        if databases:
            return check(app_configs=app_configs, databases=databases, **kwargs)
        with without_starting_server():
            return check(app_configs=app_configs, databases=databases, **kwargs)

    return wrapped


def defer_djstripe_database_checks() -> None:
    from djstripe import checks as djstripe_checks

    registry = checks.registry.registry
    for original in (
        djstripe_checks.check_webhook_validation,
        djstripe_checks.check_webhook_endpoint_has_secret,
    ):
        if original in registry.registered_checks:
            registry.registered_checks.discard(original)
            registry.register(
                _without_starting_server_unless_asked(original), *getattr(original, "tags", ())
            )
