"""Clerk session tokens on the API (accounts.clerk_auth): RS256 JWTs checked against a JWKS
served by a real HTTP server on 127.0.0.1, with keys the test generates."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import cache
from drf_spectacular.generators import SchemaGenerator
from jwt.algorithms import RSAAlgorithm
from rest_framework.test import APIClient

from accounts.authentication import ApiKeyAuthentication
from accounts.clerk_auth import CLERK_JWKS_REFETCH_SECONDS, _cache_keys
from accounts.tests.factories import UserFactory

ISSUER = "https://clerk.example.test"
APP = "https://app.example.test"
ME = "/api/v1/users/me"


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk(private_key: rsa.RSAPrivateKey, kid: str) -> dict:
    public = RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    return {**public, "kid": kid, "use": "sig", "alg": "RS256"}


class JwksServer:
    """A JWKS endpoint on 127.0.0.1: `keys` is what it serves, `hits` how often it was asked,
    `failing` makes it answer 500."""

    def __init__(self) -> None:
        self.keys: list[dict] = []
        self.hits = 0
        self.failing = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                server.hits += 1
                if server.failing:
                    self.send_response(500)
                    self.end_headers()
                    return
                body = json.dumps({"keys": server.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/.well-known/jwks.json"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> JwksServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def signing_key() -> rsa.RSAPrivateKey:
    return rsa_key()


@pytest.fixture
def jwks(settings, signing_key):
    with JwksServer() as server:
        server.keys = [jwk(signing_key, "kid-1")]
        settings.CLERK_JWKS_URL = server.url
        settings.CLERK_ISSUER = ISSUER
        settings.CLERK_AUTHORIZED_PARTIES = [APP]
        settings.CLERK_JWKS_CACHE_SECONDS = 3600
        settings.CLERK_JWT_LEEWAY = 5
        cache.delete_many(list(_cache_keys(server.url)))
        yield server
        cache.delete_many(list(_cache_keys(server.url)))


@pytest.fixture
def clerk_user(db):
    return UserFactory(clerk_user_id=f"user_{uuid.uuid4().hex[:12]}")


def token(
    private_key,
    *,
    sub: str,
    kid: str = "kid-1",
    iss: str = ISSUER,
    azp: str | None = APP,
    exp_in: int = 60,
    nbf_in: int = -5,
) -> str:
    now = int(time.time())
    claims = {"sub": sub, "iss": iss, "iat": now, "nbf": now + nbf_in, "exp": now + exp_in}
    if azp is not None:
        claims["azp"] = azp
    return jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": kid})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(header: dict, claims: dict, signature: bytes = b"") -> str:
    return (
        f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}.{_b64(signature)}"  # noqa: E501
    )


def get_me(bearer: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {bearer}")
    return client.get(ME)


def token_refusals(caplog) -> list[str]:
    return [
        record.reason
        for record in caplog.records
        if record.name == "security" and getattr(record, "event", "") == "auth.token_invalid"
    ]


# --- Accepted --------------------------------------------------------------------------------


def test_valid_token_signs_the_user_in_on_the_api(jwks, signing_key, clerk_user):
    response = get_me(token(signing_key, sub=clerk_user.clerk_user_id))
    assert response.status_code == 200, response.content
    assert response.json()["email"] == clerk_user.email


def test_azp_is_not_checked_when_no_parties_are_configured(jwks, signing_key, clerk_user, settings):
    settings.CLERK_AUTHORIZED_PARTIES = []
    response = get_me(token(signing_key, sub=clerk_user.clerk_user_id, azp="https://anything"))
    assert response.status_code == 200


def test_the_jwks_is_fetched_once_and_then_cached(jwks, signing_key, clerk_user):
    for _ in range(3):
        assert get_me(token(signing_key, sub=clerk_user.clerk_user_id)).status_code == 200
    assert jwks.hits == 1


def _time_passes(server: JwksServer) -> None:
    """As if CLERK_JWKS_REFETCH_SECONDS had passed since the last fetch."""
    cache.delete(_cache_keys(server.url)[1])


def test_a_rotated_key_with_a_new_kid_is_fetched(jwks, signing_key, clerk_user):
    assert get_me(token(signing_key, sub=clerk_user.clerk_user_id)).status_code == 200
    _time_passes(jwks)
    new_key = rsa_key()
    jwks.keys = [jwk(new_key, "kid-2")]
    response = get_me(token(new_key, sub=clerk_user.clerk_user_id, kid="kid-2"))
    assert response.status_code == 200
    assert jwks.hits == 2


def test_a_stale_jwks_is_kept_while_clerk_is_down(jwks, signing_key, clerk_user):
    assert get_me(token(signing_key, sub=clerk_user.clerk_user_id)).status_code == 200
    entry_key = _cache_keys(jwks.url)[0]
    entry = cache.get(entry_key)
    cache.set(entry_key, {**entry, "fetched_at": entry["fetched_at"] - 7200})  # stale now
    _time_passes(jwks)
    jwks.failing = True
    assert get_me(token(signing_key, sub=clerk_user.clerk_user_id)).status_code == 200
    assert jwks.hits == 2  # it tried


def test_api_keys_and_clerk_tokens_coexist(jwks, signing_key, clerk_user, company, key_client):
    assert key_client(company, "jobs:read").get("/api/v1/jobs").status_code == 200
    assert get_me(token(signing_key, sub=clerk_user.clerk_user_id)).status_code == 200
    assert ApiKeyAuthentication().authenticate(_bearer_request("a.b.c")) is None


def _bearer_request(value: str):
    from rest_framework.test import APIRequestFactory

    return APIRequestFactory().get(ME, HTTP_AUTHORIZATION=f"Bearer {value}")


# --- Refused ---------------------------------------------------------------------------------


def _assert_refused(response, caplog, reason: str) -> None:
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert token_refusals(caplog) == [reason]


def test_token_signed_by_another_key_is_refused(jwks, clerk_user, caplog):
    forged = token(rsa_key(), sub=clerk_user.clerk_user_id)
    _assert_refused(get_me(forged), caplog, "bad_signature")


def test_expired_token_is_refused(jwks, signing_key, clerk_user, caplog):
    expired = token(signing_key, sub=clerk_user.clerk_user_id, exp_in=-60, nbf_in=-120)
    _assert_refused(get_me(expired), caplog, "expired")


def test_token_not_yet_valid_is_refused(jwks, signing_key, clerk_user, caplog):
    early = token(signing_key, sub=clerk_user.clerk_user_id, nbf_in=60, exp_in=120)
    _assert_refused(get_me(early), caplog, "not_yet_valid")


def test_token_of_another_issuer_is_refused(jwks, signing_key, clerk_user, caplog):
    other = token(signing_key, sub=clerk_user.clerk_user_id, iss="https://evil.example.test")
    _assert_refused(get_me(other), caplog, "issuer")


@pytest.mark.parametrize("azp", ["https://evil.example.test", None])
def test_token_for_another_party_is_refused(jwks, signing_key, clerk_user, caplog, azp):
    _assert_refused(
        get_me(token(signing_key, sub=clerk_user.clerk_user_id, azp=azp)), caplog, "azp"
    )


def test_token_without_nbf_is_refused(jwks, signing_key, clerk_user, caplog):
    now = int(time.time())
    claims = {"sub": clerk_user.clerk_user_id, "iss": ISSUER, "azp": APP, "exp": now + 60}
    bare = jwt.encode(claims, signing_key, algorithm="RS256", headers={"kid": "kid-1"})
    _assert_refused(get_me(bare), caplog, "missing_claim")


def _claims(sub: str) -> dict:
    now = int(time.time())
    return {"sub": sub, "iss": ISSUER, "azp": APP, "nbf": now - 5, "exp": now + 60}


def test_none_algorithm_is_refused(jwks, clerk_user, caplog):
    none = unsigned_token(
        {"alg": "none", "typ": "JWT", "kid": "kid-1"}, _claims(clerk_user.clerk_user_id)
    )  # noqa: E501
    _assert_refused(get_me(none), caplog, "algorithm")


def test_hs256_signed_with_the_public_key_is_refused(jwks, signing_key, clerk_user, caplog):
    """The classic confusion attack: HMAC keyed with the (public) RSA key's PEM."""
    pem = signing_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": "kid-1"}
    unsigned = unsigned_token(header, _claims(clerk_user.clerk_user_id)).rstrip(".")
    signature = hmac.new(pem, unsigned.encode(), hashlib.sha256).digest()
    _assert_refused(get_me(f"{unsigned}.{_b64(signature)}"), caplog, "algorithm")


def test_rs256_header_over_an_hs256_signature_is_refused(jwks, signing_key, clerk_user, caplog):
    pem = signing_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "RS256", "typ": "JWT", "kid": "kid-1"}
    unsigned = unsigned_token(header, _claims(clerk_user.clerk_user_id)).rstrip(".")
    signature = hmac.new(pem, unsigned.encode(), hashlib.sha256).digest()
    _assert_refused(get_me(f"{unsigned}.{_b64(signature)}"), caplog, "bad_signature")


def test_unknown_user_is_refused(jwks, signing_key, db, caplog):
    _assert_refused(get_me(token(signing_key, sub="user_nobody")), caplog, "unknown_user")


def test_inactive_user_is_refused(jwks, signing_key, clerk_user, caplog):
    clerk_user.is_active = False
    clerk_user.save()
    _assert_refused(
        get_me(token(signing_key, sub=clerk_user.clerk_user_id)), caplog, "unknown_user"
    )


def test_user_deleted_in_clerk_is_refused(jwks, signing_key, clerk_user, caplog):
    from django.utils import timezone

    clerk_user.clerk_deleted_at = timezone.now()
    clerk_user.save()
    _assert_refused(
        get_me(token(signing_key, sub=clerk_user.clerk_user_id)), caplog, "unknown_user"
    )


def test_malformed_jwt_is_a_401_not_a_500(jwks, db, caplog):
    _assert_refused(get_me("not.a.jwt"), caplog, "malformed")


def test_unknown_kid_refetches_at_most_once_per_interval(jwks, signing_key, clerk_user, caplog):
    assert get_me(token(signing_key, sub=clerk_user.clerk_user_id)).status_code == 200
    _time_passes(jwks)
    for _ in range(5):
        made_up = token(signing_key, sub=clerk_user.clerk_user_id, kid=uuid.uuid4().hex)
        assert get_me(made_up).status_code == 401
    assert jwks.hits == 2  # the first fetch, then one refetch in CLERK_JWKS_REFETCH_SECONDS
    assert CLERK_JWKS_REFETCH_SECONDS >= 30
    assert token_refusals(caplog) == ["unknown_kid"] * 5


def test_jwks_fetch_failure_is_a_401_and_logged(jwks, signing_key, clerk_user, caplog):
    jwks.failing = True
    with caplog.at_level(logging.WARNING, logger="accounts.clerk_auth"):
        response = get_me(token(signing_key, sub=clerk_user.clerk_user_id))
    assert response.status_code == 401
    assert token_refusals(caplog) == ["jwks_unavailable"]
    assert any(
        record.name == "accounts.clerk_auth" and "JWKS unavailable" in record.getMessage()
        for record in caplog.records
    )


def test_unreachable_jwks_is_a_401(jwks, signing_key, clerk_user, settings, caplog):
    with JwksServer() as closed:
        url = closed.url
    settings.CLERK_JWKS_URL = url  # its server is gone: connection refused
    cache.delete_many(list(_cache_keys(url)))
    response = get_me(token(signing_key, sub=clerk_user.clerk_user_id))
    assert response.status_code == 401
    assert token_refusals(caplog) == ["jwks_unavailable"]


def test_clerk_not_configured_refuses_jwts(jwks, signing_key, clerk_user, settings, caplog):
    settings.CLERK_JWKS_URL = ""
    _assert_refused(
        get_me(token(signing_key, sub=clerk_user.clerk_user_id)), caplog, "not_configured"
    )


def test_tokens_never_reach_the_logs(jwks, signing_key, clerk_user, caplog):
    caplog.set_level(logging.DEBUG)
    bad = token(signing_key, sub=clerk_user.clerk_user_id, iss="https://evil.example.test")
    good = token(signing_key, sub=clerk_user.clerk_user_id)
    get_me(bad)
    get_me(good)
    text = "\n".join(f"{record.getMessage()} {vars(record)}" for record in caplog.records)
    for secret in (bad, good, bad.split(".")[2], good.split(".")[2]):
        assert secret not in text


def test_openapi_describes_clerk_tokens(db):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    scheme = schema["components"]["securitySchemes"]["clerkSession"]
    assert scheme == {**scheme, "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
