"""Request bodies parsed by hand on the order-entry hot path.

FastAPI's dependency solver costs about a third of a small request's time;
the order routes read the body and the token themselves and declare both in
the OpenAPI through ``openapi_extra`` (see :func:`json_body`), so the
contract is the same as for every other route.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from gateway.api import problems
from gateway.api.problems import ApiProblem

M = TypeVar("M", bound=BaseModel)
MODELS: dict[str, type[BaseModel]] = {}


def parse(model: type[M], raw: bytes) -> M:
    """Validate JSON ``raw`` as ``model``; a 422 naming each bad field otherwise."""
    try:
        return model.model_validate_json(raw or b"null")
    except ValidationError as exc:
        errors = [
            {
                "field": ".".join(("body", *(str(part) for part in error["loc"]))),
                "message": error["msg"],
                "type": error["type"],
            }
            for error in exc.errors(include_url=False, include_input=False)
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        raise ApiProblem(problems.VALIDATION, detail, errors=errors) from exc


def json_body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` for a route that parses ``model`` itself and needs a bearer token."""
    MODELS[model.__name__] = model
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}},
        },
        "security": [{"HTTPBearer": []}],
    }
