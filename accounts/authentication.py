"""API key authentication for the partner API: `Authorization: Bearer <prefix>.<secret>`.

A request made with a key is the key's company, not a person: `request.user` is an
`ApiKeyPrincipal` and `request.auth` the `ApiKey`, whose scopes the views' permissions read.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from accounts.models import ApiKey
from accounts.services import api_key_authenticate


class ApiKeyPrincipal:
    """Who a key's request is: authenticated, with the key's company, holding no role."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, api_key: ApiKey):
        self.api_key = api_key
        self.company = api_key.company

    def __str__(self) -> str:
        return f"API key {self.api_key.prefix}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """A request without a Bearer header is left to the other authenticators; a request with
    a malformed, unknown, revoked or expired key is refused with 401."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != b"bearer":
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the key as 'Authorization: Bearer <prefix>.<secret>'."
            )
        try:
            token = header[1].decode("ascii")
        except UnicodeError as error:
            raise exceptions.AuthenticationFailed(
                "The API key has characters it cannot have."
            ) from error
        if token.count(".") == 2:
            return None  # a JWT (three parts): ClerkSessionAuthentication's, not a key
        api_key = api_key_authenticate(token=token)
        if api_key is None:
            raise exceptions.AuthenticationFailed("The API key is unknown, revoked or expired.")
        return ApiKeyPrincipal(api_key), api_key

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema describes the key (drf-spectacular finds it on import)."""

    target_class = ApiKeyAuthentication
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "<prefix>.<secret>",
            "description": "A company's API key, made in admin under API keys.",
        }
