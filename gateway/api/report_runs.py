"""Report runs on disk: generate into ``<data_dir>/reports/<run id>/``, find files, verify.

Every call here blocks (it reads the audit store, renders PDFs, signs), so the
routes run it in a worker thread, one run at a time: the event loop carries
orders and must never wait behind a report.

Files are only ever served from a run directory by exact name, after the name
matched a strict pattern and the resolved path was checked to sit directly in
that directory: no request can reach anything else under the data directory.
"""

from __future__ import annotations

import json
import secrets as random_source
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from gateway.app import Gateway
from gateway.secrets import SecretsProvider, secrets_from_env
from reporting import Period, generate_report, verify_report
from reporting.manifest import manifest_path, public_key_hex

SIGNING_KEY = "report-signing-ed25519"
MANIFEST_SUFFIX = ".manifest.json"
SIGNATURE_SUFFIX = ".sig"
MEDIA_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".pdf": "application/pdf",
    ".sig": "application/octet-stream",
    ".json": "application/json",
}


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    checks: list[str]
    problems: list[str]
    public_key: str


class ReportRuns:
    """The report directory of one gateway and the keys its reports are signed and checked with."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.root = gateway.settings.data_dir / "reports"

    @cached_property
    def _secrets(self) -> SecretsProvider:
        provider: SecretsProvider | None = getattr(self.gateway, "secrets", None)
        return provider or secrets_from_env(default_dir=self.gateway.settings.data_dir / "secrets")

    @cached_property
    def signing_key(self) -> Ed25519PrivateKey:
        return self._secrets.get_or_create_ed25519_key(SIGNING_KEY)

    def checkpoint_keys(self) -> Mapping[str, Ed25519PublicKey] | None:
        """The audit checkpoint keys, so generation and verification check checkpoint signatures."""
        keys = getattr(self.gateway, "checkpoint_keys", None)
        return keys() if callable(keys) else None

    def generate(self, name: str, period: Period, fmt: str, paper: str) -> tuple[str, list[Path]]:
        """A new run: its id and the report files written (signatures and manifests beside them)."""
        run_id = new_run_id()
        out = self.root / run_id
        out.mkdir(parents=True)
        try:
            written = generate_report(
                name,
                self.gateway.audit,
                period.start,
                period.end,
                fmt,
                out,
                self.signing_key,
                paper=paper,
                checkpoint_keys=self.checkpoint_keys(),
            )
        except BaseException:
            shutil.rmtree(out, ignore_errors=True)
            raise
        return run_id, sorted(p for p in written if manifest_path(p).exists())  # as reports() lists them

    def discard(self, run_id: str) -> None:
        shutil.rmtree(self.root / run_id, ignore_errors=True)

    def reports(self, run_id: str) -> list[Path] | None:
        """The report files of a run (those with a manifest), or None for an unknown run."""
        run = self.root / run_id
        if not run.is_dir() or run.is_symlink():
            return None
        return sorted(
            run / entry.name[: -len(MANIFEST_SUFFIX)]
            for entry in run.iterdir()
            if entry.name.endswith(MANIFEST_SUFFIX) and entry.is_file()
        )

    def file(self, run_id: str, name: str) -> Path | None:
        """A file of a run by exact name; None unless it is a regular file directly in the run."""
        run = (self.root / run_id).resolve()
        if run.parent != self.root.resolve() or not run.is_dir():
            return None
        candidate = run / name
        if candidate.is_symlink() or not candidate.is_file() or candidate.resolve().parent != run:
            return None
        return candidate

    def report(self, run_id: str, name: str) -> Path | None:
        """The report a file name stands for: the report itself, or its ``.sig`` or manifest."""
        for suffix in (MANIFEST_SUFFIX, SIGNATURE_SUFFIX):
            if name.endswith(suffix):
                name = name[: -len(suffix)]
                break
        report = self.file(run_id, name)
        if report is None or self.file(run_id, name + MANIFEST_SUFFIX) is None:
            return None
        return report

    def verify(self, report: Path) -> Verdict:
        """Re-check a report against the live audit log, pinned to this gateway's signing key."""
        public = self.signing_key.public_key()
        result = verify_report(
            report, self.gateway.audit, public_key=public, checkpoint_keys=self.checkpoint_keys()
        )
        return Verdict(result.ok, list(result.checks), list(result.problems), public_key_hex(public))


def new_run_id() -> str:
    """Sortable by creation time, unguessable enough not to collide."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{random_source.token_hex(6)}"


def read_manifest(report: Path) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(manifest_path(report).read_text(encoding="utf-8"))
    return body


def media_type(path: Path) -> str:
    return MEDIA_TYPES.get(path.suffix, "application/octet-stream")
