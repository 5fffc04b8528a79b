"""HTTP entry points of the warehouse: the attribution provider's install callback."""

import hmac
import json
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from stripe_dwh.bounded_json import nesting_exceeds
from warehouse.services import installs

# An install is a flat object; json.loads recurses once per level (RecursionError deeper).
MAX_JSON_DEPTH = 32
# Refused in the query string: URLs end up in access logs (ours, proxies', the provider's).
TOKEN_QUERY_PARAMETER = "token"


def _presented_token(request: HttpRequest) -> str:
    authorization = request.headers.get("Authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.headers.get("X-Attribution-Token", "")


def _query_errors(request: HttpRequest) -> dict[str, str]:
    """Django decodes a query string leniently (bad UTF-8 becomes U+FFFD, which would be
    stored in place of an id): name every parameter that is not valid percent-encoded UTF-8."""
    errors = {}
    raw_query = request.META.get("QUERY_STRING", "").encode("iso-8859-1", "replace")
    for pair in raw_query.split(b"&"):
        key, _, value = (
            unquote_to_bytes(part.replace(b"+", b" ")) for part in pair.partition(b"=")
        )
        try:
            key.decode("utf-8"), value.decode("utf-8")
        except UnicodeDecodeError:
            errors[key.decode("utf-8", "replace")] = "is not valid UTF-8"
    return errors


def _token_is_valid(request: HttpRequest) -> bool:
    expected = settings.ATTRIBUTION_CALLBACK_TOKEN
    presented = _presented_token(request)
    # An unset token must refuse everything, never match an empty presented one.
    if not expected or not presented:
        return False
    return hmac.compare_digest(presented.encode(), expected.encode())


def _payload(request: HttpRequest) -> dict:
    if request.method == "GET":
        errors = _query_errors(request)
        if errors:
            raise installs.InvalidInstallRow(errors)
        return dict(request.GET.items())
    if nesting_exceeds(request.body, MAX_JSON_DEPTH):
        raise installs.InvalidInstallRow(
            {"__all__": f"the body nests deeper than {MAX_JSON_DEPTH} levels"}
        )
    try:
        payload = json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise installs.InvalidInstallRow({"__all__": f"the body is not valid JSON: {exc}"}) from exc
    if not isinstance(payload, dict):
        raise installs.InvalidInstallRow({"__all__": "the body must be a JSON object"})
    return payload


@csrf_exempt
@require_http_methods(["GET", "POST"])
def install_callback(request: HttpRequest) -> JsonResponse:
    """An attribution provider reports one install: a JSON object (POST) or query parameters
    (GET), with the keys of the install file format. 201 when new, 200 when already known."""
    if TOKEN_QUERY_PARAMETER in request.GET:
        return JsonResponse(
            {
                "errors": {
                    TOKEN_QUERY_PARAMETER: "tokens are refused in the query string (it is "
                    "logged): send Authorization: Bearer <token> or X-Attribution-Token"
                }
            },
            status=400,
        )
    if not _token_is_valid(request):
        return JsonResponse({"error": "missing or wrong attribution token"}, status=403)
    try:
        cleaned = installs.clean_install_row(_payload(request))
    except installs.InvalidInstallRow as exc:
        return JsonResponse({"errors": exc.errors}, status=400)
    created = installs.upsert_install(cleaned)
    return JsonResponse(
        {"install_id": cleaned["install_id"], "created": created}, status=201 if created else 200
    )
