"""WSGI entry point for the webhook benchmark: the project's application on bench.settings.

With BENCH_WAREHOUSE_RECEIVERS=off every signal receiver defined in the `warehouse` package
is disconnected after start-up, so one run can time dj-stripe alone against dj-stripe plus
the warehouse without touching the app's code. It finds the receivers by the module of the
connected function, so it needs no list of signals or receiver names.
"""

import gc
import os
import weakref

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.dispatch import Signal  # noqa: E402

application = get_wsgi_application()


def _receiver_function(reference):
    # connect(weak=True) stores a weakref.ref (or WeakMethod, a subclass) to the receiver
    function = reference() if isinstance(reference, weakref.ref) else reference
    return getattr(function, "__func__", function)


def disconnect_warehouse_receivers(package: str = "warehouse") -> list[str]:
    """Remove every receiver whose function lives in `package` from every Signal; return them."""
    removed = []
    # type(), not isinstance(): isinstance would evaluate lazy objects (e.g. a CSP nonce)
    for signal in [obj for obj in gc.get_objects() if issubclass(type(obj), Signal)]:
        with signal.lock:
            kept = []
            for entry in signal.receivers:
                function = _receiver_function(entry[1])
                module = getattr(function, "__module__", "") or ""
                if module == package or module.startswith(package + "."):
                    removed.append(f"{module}.{getattr(function, '__qualname__', function)}")
                else:
                    kept.append(entry)
            signal.receivers[:] = kept
            signal.sender_receivers_cache.clear()
    return removed


if os.environ.get("BENCH_WAREHOUSE_RECEIVERS", "on").lower() in ("off", "0", "false", "no"):
    DISCONNECTED = disconnect_warehouse_receivers()
else:
    DISCONNECTED = []
