"""dj-stripe's admin is read-only for everyone (finding 7: editing a Customer in the admin
rewrote dim_customer.email and user_id through the signal receivers)."""

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from djstripe import models as djstripe_models

from tests.factories import DimCustomerFactory
from warehouse.models import DimCustomer
from webhooks.admin import StripeDataReadOnly

pytestmark = pytest.mark.django_db


@pytest.fixture
def stripe_customer():
    customer = djstripe_models.Customer.objects.create(
        id="cus_readonly1", livemode=False, email="kept@example.com", metadata={"user_id": "u-1"}
    )
    DimCustomerFactory(stripe_id=customer.id, email="kept@example.com", user_id="u-1")
    return customer


def test_every_djstripe_model_admin_is_read_only():
    djstripe_admins = [
        model_admin
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label == "djstripe"
    ]
    assert len(djstripe_admins) > 20
    assert all(isinstance(model_admin, StripeDataReadOnly) for model_admin in djstripe_admins)


def test_superuser_cannot_edit_a_customer_and_the_warehouse_is_unchanged(
    admin_client, stripe_customer
):
    url = reverse("admin:djstripe_customer_change", args=[stripe_customer.djstripe_id])

    view = admin_client.get(url)
    edit = admin_client.post(
        url,
        {
            "id": stripe_customer.id,
            "email": "=attacker@example.com",
            "metadata": '{"user_id": "someone-else"}',
            "livemode": "off",
            "_save": "Save",
        },
    )

    assert view.status_code == 200 and 'name="_save"' not in view.content.decode()
    assert edit.status_code == 403
    dim = DimCustomer.objects.get(stripe_id=stripe_customer.id)
    assert (dim.email, dim.user_id) == ("kept@example.com", "u-1")
    stripe_customer.refresh_from_db()
    assert stripe_customer.email == "kept@example.com"


@pytest.mark.parametrize(
    "url_name, args",
    [("admin:djstripe_customer_add", []), ("admin:djstripe_customer_delete", ["CUSTOMER"])],
)
def test_superuser_cannot_add_or_delete(admin_client, stripe_customer, url_name, args):
    url = reverse(
        url_name, args=[stripe_customer.djstripe_id if a == "CUSTOMER" else a for a in args]
    )

    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert djstripe_models.Customer.objects.filter(pk=stripe_customer.pk).exists()


def test_djstripe_actions_and_their_confirmation_view_are_gone(admin_client, stripe_customer):
    changelist = admin_client.get(reverse("admin:djstripe_subscription_changelist"))

    assert changelist.status_code == 200
    assert "_cancel" not in changelist.content.decode()
    with pytest.raises(NoReverseMatch):
        reverse(
            "admin:djstripe_custom_action",
            kwargs={"action_name": "_cancel", "model_name": "subscription"},
        )
    response = admin_client.post(
        "/admin/djstripe/subscription/action/_cancel/subscription/",
        {"_selected_action": [1]},
    )
    # Only the admin's catch-all for object ids answers now: a redirect to a change page.
    assert response.status_code == 302 and response["Location"].endswith("/change/")
