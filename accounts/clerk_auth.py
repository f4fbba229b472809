"""Clerk session tokens for the API: `Authorization: Bearer <JWT>` from a Clerk front end.

A token is accepted when it is an RS256 JWT signed by a key of the instance's JWKS
(CLERK_JWKS_URL), issued by CLERK_ISSUER, inside its `nbf`..`exp` window (CLERK_JWT_LEEWAY
seconds of clock skew), with its `azp` in CLERK_AUTHORIZED_PARTIES when that list is set, and
its `sub` the `clerk_user_id` of an active user that Clerk has not deleted. Only RS256: the
algorithm is fixed here, never read from the token, so `none` and HS256 (with the public key as
an HMAC secret) are refused before any key is used.

Bearer tokens are shared with API keys (accounts.authentication): a key is `<prefix>.<secret>`
(one dot), a JWT has three dot-separated parts. Each class returns None for the other's shape.

The JWKS is kept in the cache (all processes share it) and counts as fresh for
CLERK_JWKS_CACHE_SECONDS. A token naming a `kid` the cached set lacks (Clerk rotated its keys)
refetches it, but fetches are rate-limited to one per CLERK_JWKS_REFETCH_SECONDS across all
processes, so made-up `kid`s cannot make us hammer Clerk. A stale copy is kept for as long
again and used while a refetch is refused or fails, so a Clerk outage does not log everybody out.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from functools import lru_cache

import jwt
from django.conf import settings
from django.core.cache import cache
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from accounts.models import User

logger = logging.getLogger(__name__)

CLERK_ALGORITHM = "RS256"
# At most one JWKS fetch per this many seconds (per JWKS URL, across processes).
CLERK_JWKS_REFETCH_SECONDS = 30
CLERK_JWKS_FETCH_TIMEOUT = 5
CLERK_JWKS_MAX_BYTES = 256 * 1024


class ClerkTokenInvalid(Exception):
    """A refused token; `reason` is a short code for the security log (never the token)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ClerkJwksUnavailable(Exception):
    pass


def _cache_keys(url: str) -> tuple[str, str]:
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    return f"clerk:jwks:{digest}", f"clerk:jwks-fetch:{digest}"


def clerk_jwks_fetch(url: str) -> list[dict]:
    """The `keys` of the JWKS at `url`; ClerkJwksUnavailable when it can't be had."""
    if urllib.parse.urlsplit(url).scheme not in ("https", "http"):
        raise ClerkJwksUnavailable("CLERK_JWKS_URL must be an http(s) URL.")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        # The scheme is checked above (no file: or ftp:); the URL comes from settings.
        with urllib.request.urlopen(request, timeout=CLERK_JWKS_FETCH_TIMEOUT) as response:  # nosec B310
            body = response.read(CLERK_JWKS_MAX_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise ClerkJwksUnavailable(f"fetch failed: {error.__class__.__name__}") from error
    if len(body) > CLERK_JWKS_MAX_BYTES:
        raise ClerkJwksUnavailable("the JWKS is too large")
    try:
        keys = json.loads(body)["keys"]
    except (ValueError, KeyError, TypeError) as error:
        raise ClerkJwksUnavailable("the answer is not a JWKS") from error
    if not isinstance(keys, list):
        raise ClerkJwksUnavailable("the answer is not a JWKS")
    return [key for key in keys if isinstance(key, dict)]


@lru_cache(maxsize=32)
def _rsa_key(n: str, e: str):
    # Building the key object costs more than a cache read: keep the few recent ones.
    return jwt.PyJWK({"kty": "RSA", "n": n, "e": e}, algorithm=CLERK_ALGORITHM).key


def _key_find(keys: list[dict], kid: str):
    for key in keys:
        if key.get("kid") != kid or key.get("kty") != "RSA":
            continue
        if key.get("use", "sig") != "sig" or key.get("alg", CLERK_ALGORITHM) != CLERK_ALGORITHM:
            continue
        n, e = key.get("n"), key.get("e")
        if not isinstance(n, str) or not isinstance(e, str):
            continue
        try:
            return _rsa_key(n, e)
        except jwt.PyJWTError:
            continue
    return None


def clerk_signing_key(kid: str):
    """The public key for `kid`, from the cached JWKS or, when missing or stale, a refetch
    (module note); ClerkTokenInvalid when there is none."""
    url = settings.CLERK_JWKS_URL
    entry_key, fetch_key = _cache_keys(url)
    entry = cache.get(entry_key)
    now = time.time()
    keys = entry["keys"] if entry else []
    fresh = bool(entry) and now - entry["fetched_at"] < settings.CLERK_JWKS_CACHE_SECONDS
    found = _key_find(keys, kid)
    if found is not None and fresh:
        return found
    fetch_failed = False
    if cache.add(fetch_key, 1, timeout=CLERK_JWKS_REFETCH_SECONDS):
        try:
            keys = clerk_jwks_fetch(url)
        except ClerkJwksUnavailable as error:
            fetch_failed = True
            logger.warning("Clerk JWKS unavailable: %s", error, extra={"jwks_url": url})
        else:
            cache.set(
                entry_key,
                {"fetched_at": now, "keys": keys},
                timeout=2 * settings.CLERK_JWKS_CACHE_SECONDS,
            )
            found = _key_find(keys, kid)
    if found is None:
        raise ClerkTokenInvalid("jwks_unavailable" if fetch_failed else "unknown_kid")
    return found


def clerk_token_user(*, token: str) -> tuple[User, dict]:
    """The user a Clerk session token names, with its verified claims; ClerkTokenInvalid
    when any check fails (module note)."""
    if not (settings.CLERK_JWKS_URL and settings.CLERK_ISSUER):
        raise ClerkTokenInvalid("not_configured")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise ClerkTokenInvalid("malformed") from error
    if header.get("alg") != CLERK_ALGORITHM:
        raise ClerkTokenInvalid("algorithm")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise ClerkTokenInvalid("no_kid")
    key = clerk_signing_key(kid)
    claims = _claims_verify(token, key)
    parties = settings.CLERK_AUTHORIZED_PARTIES
    if parties and claims.get("azp") not in parties:
        raise ClerkTokenInvalid("azp")
    user = User.objects.filter(clerk_user_id=claims["sub"]).first()
    if user is None or not user.is_active or user.clerk_deleted_at is not None:
        raise ClerkTokenInvalid("unknown_user")
    return user, claims


_CLAIM_ERRORS = (
    (jwt.ExpiredSignatureError, "expired"),
    (jwt.ImmatureSignatureError, "not_yet_valid"),
    (jwt.InvalidIssuerError, "issuer"),
    (jwt.MissingRequiredClaimError, "missing_claim"),
    (jwt.InvalidSignatureError, "bad_signature"),
    (jwt.InvalidAlgorithmError, "algorithm"),
)


def _claims_verify(token: str, key) -> dict:
    try:
        return jwt.decode(
            token,
            key,
            algorithms=[CLERK_ALGORITHM],
            issuer=settings.CLERK_ISSUER,
            leeway=settings.CLERK_JWT_LEEWAY,
            # Clerk's session tokens carry no `aud`; `azp` names the front end instead.
            options={"require": ["exp", "nbf", "iss", "sub"], "verify_aud": False},
        )
    except jwt.PyJWTError as error:
        reason = next((code for kind, code in _CLAIM_ERRORS if isinstance(error, kind)), "invalid")
        raise ClerkTokenInvalid(reason) from error


class ClerkSessionAuthentication(authentication.BaseAuthentication):
    """A Bearer JWT is Clerk's: its user, or 401. Anything else is left to the others."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if len(header) != 2 or header[0].lower() != b"bearer":
            return None
        try:
            token = header[1].decode("ascii")
        except UnicodeError:
            return None  # not a JWT; ApiKeyAuthentication refuses it
        if token.count(".") != 2:
            return None  # an API key, `<prefix>.<secret>`
        try:
            user, claims = clerk_token_user(token=token)
        except ClerkTokenInvalid as error:
            # Imported here: settings name this class, so DRF imports this module while
            # rest_framework.views itself loads, before accounts.services can.
            from accounts.security import security_event_once

            # The Django request: DRF's `request.user` would authenticate again, recursively.
            # Logged once: the access-denied middleware leaves this 401 alone.
            security_event_once(
                "auth.token_invalid", request=request._request, source="clerk", reason=error.reason
            )
            raise exceptions.AuthenticationFailed(
                "The Clerk session token is invalid or expired."
            ) from error
        return user, claims

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class ClerkSessionAuthenticationScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema describes Clerk tokens (drf-spectacular finds it on import)."""

    target_class = ClerkSessionAuthentication
    name = "clerkSession"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A Clerk session token (RS256), for companies whose people sign in "
            "with Clerk.",
        }
