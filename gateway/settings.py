"""Gateway settings, read once at start and injected (no module-level singletons)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DATA = Path(__file__).parent / "data"


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path = Path("var")
    audit_url: str | None = None  # default: SQLite file in data_dir
    policy_path: Path = Path("policies/default.toml")
    instruments_path: Path = PACKAGE_DATA / "instruments.csv"
    rest_host: str = "127.0.0.1"
    rest_port: int = 8080
    fix_config: Path | None = Path("deploy/fix/gateway.cfg")
    watch_policy: bool = True
    checkpoint_transit: str | None = None
    """Mount of a Vault transit engine whose key signs audit checkpoints (None: a key from
    the secrets provider)."""

    @property
    def resolved_audit_url(self) -> str:
        return self.audit_url or f"sqlite:///{self.data_dir / 'audit.db'}"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """GATEWAY_* environment variables, then explicit overrides (e.g. CLI flags)."""
        env = os.environ
        values: dict[str, object] = {}
        if "GATEWAY_DATA_DIR" in env:
            values["data_dir"] = Path(env["GATEWAY_DATA_DIR"])
        if "GATEWAY_AUDIT_URL" in env:
            values["audit_url"] = env["GATEWAY_AUDIT_URL"]
        if "GATEWAY_POLICY" in env:
            values["policy_path"] = Path(env["GATEWAY_POLICY"])
        if "GATEWAY_REST_PORT" in env:
            values["rest_port"] = int(env["GATEWAY_REST_PORT"])
        if "GATEWAY_FIX_CONFIG" in env:
            values["fix_config"] = Path(env["GATEWAY_FIX_CONFIG"]) if env["GATEWAY_FIX_CONFIG"] else None
        if env.get("GATEWAY_CHECKPOINT_TRANSIT"):
            values["checkpoint_transit"] = env["GATEWAY_CHECKPOINT_TRANSIT"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
