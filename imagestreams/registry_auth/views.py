"""The token endpoint of the paired Distribution registry (`auth: token`).

docker/skopeo log in with a username and either the user's password or one
of the user's API tokens; anonymous requests get an empty grant.
"""

from __future__ import annotations

import base64
import binascii

from django.contrib.auth import authenticate
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from imagestreams.models.access import TOKEN_PREFIX
from imagestreams.ratelimit import Limited, sign_in_allowed, sign_in_failed
from imagestreams.registry_auth.tokens import grant, issue_token, parse_scopes
from imagestreams.security import client_address
from imagestreams.services.tokens import TokenRejected, principal_of, token_authenticate

UNAUTHORIZED = {"errors": [{"code": "UNAUTHORIZED", "message": "invalid username or password"}]}


def basic_credentials(request: HttpRequest) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        username, sep, secret = base64.b64decode(encoded).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (username, secret) if sep else None


def principal_for(username: str, secret: str):
    """The user whose password `secret` is, or whoever owns the API token
    `secret` (a user, who must be `username`, or a service account)."""
    if not secret.startswith(TOKEN_PREFIX):
        return authenticate(username=username, password=secret)
    try:
        token = token_authenticate(secret)
    except TokenRejected:
        return None
    if token.user is not None and token.user.get_username() != username:
        return None
    return principal_of(token)


@require_GET
def registry_token(request: HttpRequest) -> JsonResponse:
    credentials = basic_credentials(request)
    user = AnonymousUser()
    if credentials is not None:
        # Passwords and API tokens can be guessed here as at the sign-in form.
        address = client_address(request)
        try:
            sign_in_allowed(address, credentials[0])
            user = principal_for(*credentials)
            if user is None:
                sign_in_failed(address, credentials[0])
                return JsonResponse(UNAUTHORIZED, status=401)
        except Limited as exc:
            return _too_many(exc)
    access = grant(user, parse_scopes(request.GET.getlist("scope")))
    subject = user.get_username() if user.is_authenticated else ""
    token, ttl = issue_token(subject, access)
    issued_at = timezone.now().isoformat()
    return JsonResponse(
        {"token": token, "access_token": token, "expires_in": ttl, "issued_at": issued_at}
    )


def _too_many(exc: Limited) -> JsonResponse:
    message = f"too many failed sign-ins; try again in {exc.retry_after} seconds"
    body = {"errors": [{"code": "TOOMANYREQUESTS", "message": message}]}
    response = JsonResponse(body, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response
