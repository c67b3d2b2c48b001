"""`Authorization: Bearer isk_…` with the user's API tokens, and HTTP Basic
with a password where an endpoint accepts it (rate-limited like every
sign-in)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from imagestreams.ratelimit import Limited, sign_in_allowed, sign_in_failed
from imagestreams.security import client_address
from imagestreams.services.tokens import TokenRejected, principal_of, token_authenticate

KEYWORD = "Bearer"


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """Listed first, so that unauthenticated requests get 401 with a
    `WWW-Authenticate: Bearer` challenge rather than 403."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None  # another scheme (Basic, a session) may apply
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "invalid Authorization header: use 'Bearer <token>' with no spaces in the token"
            )
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(
                "invalid token: tokens contain only ASCII characters"
            ) from None
        try:
            token = token_authenticate(raw)
        except TokenRejected as exc:
            raise exceptions.AuthenticationFailed(exc.message) from None
        return principal_of(token), token

    def authenticate_header(self, request) -> str:
        return f'{KEYWORD} realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token (isk_…), from POST /api/v1/tokens or `isctl login`.",
        }


class LimitedBasicAuthentication(authentication.BasicAuthentication):
    """DRF's HTTP Basic, with the password checks counted by the sign-in
    limiter (imagestreams.ratelimit) shared with the sign-in forms and
    /registry/token. The only Basic authentication the API may use."""

    def authenticate_credentials(self, userid, password, request=None):
        address = client_address(request) if request is not None else ""
        try:
            sign_in_allowed(address, userid)
            try:
                return super().authenticate_credentials(userid, password, request)
            except exceptions.AuthenticationFailed:
                sign_in_failed(address, userid)
                raise
        except Limited as exc:
            raise exceptions.Throttled(
                wait=exc.retry_after, detail="Too many failed sign-ins from this address."
            ) from None


class LimitedBasicScheme(OpenApiAuthenticationExtension):
    target_class = LimitedBasicAuthentication
    name = "basicAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "basic",
            "description": "Username and password, on /api/v1/tokens only. Wrong passwords "
            "count against the sign-in limit: over it, 429 from that address.",
        }
