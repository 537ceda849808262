"""What the routes share: the gateway, token verifier, client-order index, release requests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi import Request

from gateway.api.config import ApiConfig
from gateway.api.denials import DenialSampler
from gateway.api.idempotency import ClientOrderIndex
from gateway.api.releases import ReleaseBook
from gateway.api.tokens import TokenVerifier
from gateway.app import Gateway

if TYPE_CHECKING:
    from gateway.metrics import GatewayMetrics


@dataclass
class ApiContext:
    gateway: Gateway
    config: ApiConfig
    verifier: TokenVerifier
    orders: ClientOrderIndex
    releases: ReleaseBook
    metrics: GatewayMetrics
    denials: DenialSampler = field(default_factory=DenialSampler)

    @staticmethod
    def cancel_id(order_id: str) -> str:
        """Id of a cancel request the client did not name (unique across restarts)."""
        return f"cxl-{order_id}-{uuid.uuid4().hex[:12]}"


def context(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.api
    return ctx
