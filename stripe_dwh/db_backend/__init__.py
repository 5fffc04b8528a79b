"""PostgreSQL on the embedded server, started when the first connection needs it.

The project's PostgreSQL backend (stripe_dwh.postgresql: Django's, plus pre-commit
callbacks), unchanged except that before opening a connection it makes sure
the embedded server (stripe_dwh.embedded_postgres) runs and points HOST at its socket. The
settings use it only when DATABASE_URL is unset, so loading the settings, `manage.py check`
and any code path that never queries start no server, and a deployment with DATABASE_URL
never touches pgserver.
"""
