"""Fixtures for the tooling tests."""

import pytest
import stripe
from django.conf import settings


@pytest.fixture
def stripe_unreachable():
    """Any Stripe API call fails: loading must not need one."""
    previous = stripe.api_base
    stripe.api_base = "http://127.0.0.1:9"
    yield
    stripe.api_base = previous


@pytest.fixture
def demo_account():
    from devtools.demo.loader import ensure_demo_account

    ensure_demo_account(settings.STRIPE_TEST_SECRET_KEY)
