"""django-csp's middleware, with the policy of a response no view changed built once.

django-csp (4.0, pinned) builds the header for every response: the policy parts as
dataclasses, deep copied, then walked, twice (enforced and report-only). For a response
without a nonce and without a view's own policy (csp_update, csp_replace...), the result
depends on the settings alone: it is built once per process (again when a test overrides
the settings). That was a fifth of the attribution callback's Python time per request.
Every other response gets the header exactly as django-csp builds it.
"""

import http.client
from dataclasses import asdict

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

_settings_policies: dict[bool, str] = {}  # report_only -> the header from the settings alone


@receiver(setting_changed)
def _forget_policies(setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _settings_policies.clear()


class CSPMiddleware(DjangoCSPMiddleware):
    def _policy(self, request, response, report_only: bool) -> str:
        parts = self.get_policy_parts(request=request, response=response, report_only=report_only)
        if parts == type(parts)():  # no view's policy, no nonce: the settings' policy
            policy = _settings_policies.get(report_only)
            if policy is None:
                policy = _settings_policies[report_only] = build_policy(report_only=report_only)
            return policy
        return build_policy(**asdict(parts), report_only=report_only)

    def process_response(self, request, response):
        """django-csp 4.0's process_response, with the policies from _policy."""
        exempted_debug_codes = (http.client.INTERNAL_SERVER_ERROR, http.client.NOT_FOUND)
        if response.status_code in exempted_debug_codes and settings.DEBUG:
            return response
        for report_only, header, exempt, setting in (
            (False, HEADER, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
            (True, HEADER_REPORT_ONLY, "_csp_exempt_ro", "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
        ):
            policy = self._policy(request, response, report_only)
            if not policy:
                continue
            prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
            if (
                getattr(response, exempt, False) is False
                and header not in response
                and not request.path_info.startswith(tuple(prefixes))
            ):
                response[header] = policy
        # as django-csp: a nonce asked for after the header is written is an error
        if getattr(request, "_csp_nonce", None) is None:
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
