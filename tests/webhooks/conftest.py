"""The payments fixtures (Stripe double shop, deliver_ok) for the webhook intake's tests."""

from tests.warehouse.conftest import deliver_ok, shop  # noqa: F401
