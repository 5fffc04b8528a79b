"""Demo logins, the local webhook endpoint and the environment the demo's processes share."""

import os
from urllib.parse import quote, urlencode

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.utils import get_random_secret_key
from django.db import transaction

# Fixed on purpose: the demo prints them, and nothing in it is reachable from outside.
ADMIN_LOGIN = ("admin", "demo-admin-pass")
MANAGER_LOGIN = ("manager", "demo-manager-pass")
MANAGERS_GROUP = "Managers"
REPORTS_PERMISSION = ("reports", "view_reports")

DEMO_API_KEY = "sk_test_" + "stripedwhdemo0000000000000000"
DEMO_WEBHOOK_SECRET = "whsec_" + "stripedwhdemowebhooksecret000000"
DEMO_WEBHOOK_UUID = "5d1e7a0c-3b9f-4c2e-8a61-0f4d2b7c9e13"
DEMO_WEBHOOK_ENDPOINT_ID = "we_stripedwhdemo"


def demo_environment(host: str, port: int, stripe_port: int, base=None) -> dict:
    """Environment for every demo process: DEBUG off, Stripe pointed at the local double.

    Forced rather than defaulted: the demo only ever talks to the double, so a real key or
    webhook secret from `.env` has no business here. DEBUG stays off as in production (static
    files come from WhiteNoise); only the HTTPS-only settings are relaxed for plain HTTP.
    The Django secret key is the caller's (`make demo` generates one) or a fresh one.
    """
    env = dict(os.environ if base is None else base)
    public_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    if not env.get("SECRET_KEY"):
        env["SECRET_KEY"] = get_random_secret_key()
    env.update(
        {
            "DEBUG": "false",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "SECURE_HSTS_SECONDS": "0",
            "ALLOWED_HOSTS": "*"
            if host in ("0.0.0.0", "::")
            else f"{host},localhost,127.0.0.1,[::1]",
            "STRIPE_LIVE_MODE": "false",
            "STRIPE_TEST_SECRET_KEY": DEMO_API_KEY,
            "STRIPE_API_HOST": f"http://127.0.0.1:{stripe_port}",
            "STRIPE_WEBHOOK_SECRET": DEMO_WEBHOOK_SECRET,
            "STRIPE_WEBHOOK_UUID": DEMO_WEBHOOK_UUID,
            "STRIPE_WEBHOOK_ENDPOINT_ID": DEMO_WEBHOOK_ENDPOINT_ID,
            "PUBLIC_BASE_URL": f"http://{public_host}:{port}",
            "PYTHONUNBUFFERED": "1",
            # serve the collected, Brotli-compressed static files (make demo collects them)
            # even with DEBUG on; the demo server does not reload edited files anyway
            "WHITENOISE_AUTOREFRESH": "false",
        }
    )
    return env


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the database Django is connected to (socket directory as `host`).

    The demo hands it to its child processes so that only the parent starts (and registers
    with) the embedded PostgreSQL: pgserver keeps the processes using a server in one JSON
    file without a lock, and children exiting together on Ctrl-C can leave it empty, after
    which every command fails to start.
    """
    user = quote(settings_dict.get("USER") or "postgres", safe="")
    password = settings_dict.get("PASSWORD") or ""
    credentials = f"{user}:{quote(password, safe='')}" if password else user
    host, port = settings_dict.get("HOST") or "", str(settings_dict.get("PORT") or "")
    name = quote(settings_dict["NAME"], safe="")
    if host.startswith("/"):
        query = {"host": host, **({"port": port} if port else {})}
        return f"postgres://{credentials}@/{name}?{urlencode(query)}"
    return f"postgres://{credentials}@{host}{':' + port if port else ''}/{name}"


def webhook_url(base_url: str, uuid: str = DEMO_WEBHOOK_UUID) -> str:
    return f"{base_url.rstrip('/')}/stripe/webhook/{uuid}/"


@transaction.atomic
def ensure_demo_users() -> list[tuple[str, str, str]]:
    """The superuser and the manager, with the printed passwords (reset on every run)."""
    User = get_user_model()
    group, _ = Group.objects.get_or_create(name=MANAGERS_GROUP)
    # The reports app's migration grants this; repeated here for a group created above.
    permission = Permission.objects.filter(
        content_type__app_label=REPORTS_PERMISSION[0], codename=REPORTS_PERMISSION[1]
    ).first()
    if permission is not None:
        group.permissions.add(permission)

    admin, _ = User.objects.get_or_create(username=ADMIN_LOGIN[0])
    admin.email, admin.is_staff, admin.is_superuser, admin.is_active = (
        "admin@example.com",
        True,
        True,
        True,
    )
    admin.set_password(ADMIN_LOGIN[1])
    admin.save()

    manager, _ = User.objects.get_or_create(username=MANAGER_LOGIN[0])
    manager.email, manager.is_staff, manager.is_superuser, manager.is_active = (
        "manager@example.com",
        False,
        False,
        True,
    )
    manager.set_password(MANAGER_LOGIN[1])
    manager.save()
    manager.groups.add(group)
    return [
        (*ADMIN_LOGIN, "superuser: admin and reports"),
        (*MANAGER_LOGIN, f"'{MANAGERS_GROUP}' group: reports"),
    ]


def ensure_webhook_endpoint(url: str, secret: str, uuid: str, endpoint_id: str):
    """dj-stripe's WebhookEndpoint row for the local server (no Stripe call)."""
    from djstripe.models import WebhookEndpoint

    endpoint, _ = WebhookEndpoint.objects.update_or_create(
        djstripe_uuid=uuid,
        defaults={
            "id": endpoint_id,
            "url": url,
            "secret": secret,
            "livemode": False,
            "api_version": "",
            "enabled_events": ["*"],
            "status": "enabled",
        },
    )
    return endpoint
