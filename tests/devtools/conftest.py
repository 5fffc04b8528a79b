"""Fixtures for the tooling tests."""

import pytest
from django.conf import settings


@pytest.fixture
def demo_account():
    from devtools.demo.loader import ensure_demo_account

    ensure_demo_account(settings.STRIPE_TEST_SECRET_KEY)
