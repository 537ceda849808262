"""The published contract: problem+json errors, bearer security, examples, money as patterned strings."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import LiveApi


def resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else node


def test_openapi_documents_errors_security_examples_and_decimal_strings(live: LiveApi) -> None:
    spec = live.client().get("/openapi.json").json()
    operations = [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()]
    unprotected = {"/healthz", "/readyz", "/metrics"}
    for path, method, op in operations:
        for status, response in op["responses"].items():
            if int(status) >= 400:
                assert list(response["content"]) == ["application/problem+json"], (path, method, status)
        if path not in unprotected:
            assert op.get("security") == [{"HTTPBearer": []}], (path, method)
            assert "401" in op["responses"], (path, method)
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None:
            schema = resolve(spec, body["schema"])
            options = schema.get("oneOf") or schema.get("anyOf") or [schema]
            variants = [resolve(spec, v) for v in options if v.get("type") != "null"]
            assert variants and all(v.get("examples") for v in variants), (path, method)
    order_in = spec["components"]["schemas"]["OrderIn"]
    for field in ("quantity", "limit_price"):
        text = order_in["properties"][field]
        text = text.get("anyOf", [text])[0]
        assert text["type"] == "string" and text["pattern"].startswith("^[0-9]")
    submit = spec["paths"]["/v1/orders"]["post"]["responses"]
    assert set(submit) >= {"201", "401", "403", "409", "422", "429", "503"}
    assert submit["422"]["content"]["application/problem+json"]["schema"]["$ref"].endswith("/DeniedProblem")
