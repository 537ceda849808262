"""Token verification: signature, issuer, audience, expiry, roles; and the verified-token cache."""

from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.api.config import ApiConfig
from gateway.api.keys import PRIVATE_NAME, load_keys
from gateway.api.tokens import InvalidToken, Role, TokenVerifier, issue_token

ISS, AUD = "compliance-gateway", "gateway-api"
KEY = Ed25519PrivateKey.generate()


def token(key: Ed25519PrivateKey = KEY, **overrides: object) -> str:
    values: dict[str, object] = {
        "subject": "jsmith",
        "roles": [Role.TRADER],
        "accounts": ["ACC-APPLE-TSY"],
        "issuer": ISS,
        "audience": AUD,
        "ttl_seconds": 60,
    }
    values.update(overrides)
    return issue_token(key, **values)  # type: ignore[arg-type]


def verifier(cache_size: int = 100) -> TokenVerifier:
    return TokenVerifier(KEY.public_key(), issuer=ISS, audience=AUD, cache_size=cache_size)


def test_a_valid_token_gives_its_subject_roles_and_accounts() -> None:
    principal = verifier().verify(token())
    assert principal.subject == "jsmith"
    assert principal.roles == {Role.TRADER}
    assert principal.may_trade("ACC-APPLE-TSY") and not principal.may_trade("ACC-HOUSE")
    assert not principal.has(Role.RISK_OFFICER)


@pytest.mark.parametrize(
    "bad",
    [
        token(issuer="someone-else"),
        token(audience="another-api"),
        token(key=Ed25519PrivateKey.generate()),
        token(ttl_seconds=-1),
        token(roles=["trader"])[:-2] + "xx",
        jwt.encode(
            {"sub": "x", "iss": ISS, "aud": AUD, "exp": time.time() + 60, "iat": time.time()}, "s" * 32
        ),
        jwt.encode(
            {"sub": "x", "iss": ISS, "aud": AUD, "exp": time.time() + 60, "iat": 1}, "", algorithm="none"
        ),
        jwt.encode(
            {"iss": ISS, "aud": AUD, "exp": time.time() + 60, "iat": time.time()}, KEY, algorithm="EdDSA"
        ),
        jwt.encode(
            {
                "sub": "x",
                "iss": ISS,
                "aud": AUD,
                "exp": time.time() + 60,
                "iat": time.time(),
                "roles": ["god"],
            },
            KEY,
            algorithm="EdDSA",
        ),
        "not-a-token",
    ],
    ids=[
        "issuer",
        "audience",
        "signature",
        "expired",
        "tampered",
        "hs256",
        "none",
        "no-sub",
        "role",
        "garbage",
    ],
)
def test_a_bad_token_is_refused(bad: str) -> None:
    with pytest.raises(InvalidToken):
        verifier().verify(bad)


def test_a_repeated_token_is_verified_once_then_served_from_the_cache() -> None:
    checker = verifier()
    text = token()
    principals = {checker.verify(text) for _ in range(100)}
    assert len(principals) == 1
    assert checker.verifications == 1


def test_a_cached_token_still_expires() -> None:
    checker = verifier()
    text = token(ttl_seconds=30)
    principal = checker.verify(text)
    with pytest.raises(InvalidToken):
        checker.verify(text, now=principal.expires_at + 1)


def test_the_cache_is_bounded_and_evicts_the_least_recently_used() -> None:
    checker = verifier(cache_size=2)
    first, second, third = (token(subject=name) for name in ("a", "b", "c"))
    for text in (first, second, third, second):
        checker.verify(text)
    assert checker.verifications == 3
    checker.verify(first)  # evicted: verified again
    assert checker.verifications == 4


def test_the_embedded_key_pair_is_generated_once_private_and_reused(tmp_path: Path) -> None:
    config = ApiConfig.for_data_dir(tmp_path)
    keys = load_keys(config)
    again = load_keys(config)
    assert (config.key_dir / PRIVATE_NAME).stat().st_mode & 0o777 == 0o600
    assert keys.private is not None
    text = issue_token(keys.private, subject="x", roles=["admin"], issuer=ISS, audience=AUD)
    assert TokenVerifier(again.public, issuer=ISS, audience=AUD).verify(text).subject == "x"


def test_a_configured_public_key_means_verify_only(tmp_path: Path) -> None:
    from gateway.api.keys import public_pem

    path = tmp_path / "issuer.pub.pem"
    path.write_bytes(public_pem(KEY.public_key()))
    keys = load_keys(ApiConfig.for_data_dir(tmp_path, public_key_path=path))
    assert keys.private is None
    assert not (tmp_path / "secrets").exists()
    assert TokenVerifier(keys.public, issuer=ISS, audience=AUD).verify(token()).subject == "jsmith"
