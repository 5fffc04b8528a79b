"""Settings of a project server started by a test (gunicorn, in a subprocess): the test
settings on the test database, with persistent connections as in production."""

import os

from tests.settings import *  # noqa: F401,F403
from tests.settings import DATABASES

DATABASES["default"]["NAME"] = os.environ["TEST_DATABASE_NAME"]
DATABASES["default"]["CONN_MAX_AGE"] = 600
