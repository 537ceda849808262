"""A minimal REST client for the CLI (stdlib only: the runtime has no HTTP client library).

``gateway kill ... --url`` acts through the running gateway, so the process
that owns the order flow engages or releases at once; with no ``--token`` it
mints a short-lived risk-officer token from the data directory's key (whoever
can read that key can mint tokens anyway).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from gateway.api.config import ApiConfig
from gateway.api.keys import KeyMaterialError, load_keys
from gateway.api.tokens import Role, issue_token


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: dict[str, Any]


def mint_token(config: ApiConfig, subject: str, roles: list[Role], accounts: list[str], ttl: int) -> str:
    keys = load_keys(config)
    if keys.private is None:
        raise KeyMaterialError("tokens are verified with GATEWAY_JWT_PUBLIC_KEY: get one from your issuer")
    return issue_token(
        keys.private,
        subject=subject,
        roles=roles,
        accounts=accounts,
        issuer=config.issuer,
        audience=config.audience,
        ttl_seconds=ttl,
    )


def post(url: str, path: str, token: str, body: dict[str, Any], timeout: float = 10) -> Reply:
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url}")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url.rstrip("/") + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Reply(response.status, json.loads(response.read() or b"{}"))
    except urllib.error.HTTPError as error:
        payload = error.read()
        try:
            parsed = json.loads(payload)
        except ValueError:
            parsed = {"detail": payload.decode(errors="replace")}
        return Reply(error.code, parsed)
