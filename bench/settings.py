"""Settings for the benchmarks: the development settings (devtools/settings.py: Stripe test
keys, webhook secret, plain HTTP) pointed at a separate database, so the dev and test
databases stay untouched.

The database is the server of DATABASE_URL (or the embedded one) with its name replaced by
BENCH_DATABASE_NAME (default `stripe_dwh_bench`); `bench/db.py` creates and migrates it.
"""

import os

from devtools.settings import *  # noqa: F401,F403
from devtools.settings import DATABASES

BENCH_DATABASE_NAME = os.environ.get("BENCH_DATABASE_NAME", "stripe_dwh_bench")
DATABASES["default"]["NAME"] = BENCH_DATABASE_NAME
# Persistent connections: gunicorn workers keep theirs between webhook requests, as in production.
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("CONN_MAX_AGE", "60"))
ALLOWED_HOSTS = ["*"]
