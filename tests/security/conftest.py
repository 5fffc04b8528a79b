"""The payments fixtures (Stripe double) for the probe."""

from tests.warehouse.conftest import shop  # noqa: F401
