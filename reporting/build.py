"""Build report files from an audit range in one streaming pass.

Building is a pure function of (log records in the range, the context records
before it, the checkpoint named, the report list, the paper size): the period
only chooses the range. :mod:`reporting.generate` picks the range and signs;
:mod:`reporting.verify` rebuilds from a manifest and compares bytes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.api import AuditLog
from reporting import checkpoints
from reporting.auditrange import AuditRange
from reporting.base import Context, Projection
from reporting.checkpoints import CheckpointRef
from reporting.csvout import CsvSink, NullSink
from reporting.pdf import render_pdf
from reporting.period import Period
from reporting.registry import REPORTS
from reporting.scan import Scan, ScanResult
from reporting.stamps import cover_stamps, footer

GENERATOR = "compliance-gateway reporting 2"
"""Named in every manifest. A new number whenever the same records would render to other
bytes, so that verification can rebuild an older report the way it was built."""
UNGUARDED_CSV = "compliance-gateway reporting 1"
"""The generator whose CSV cells were not guarded against spreadsheet formulas."""
GENERATORS = frozenset({UNGUARDED_CSV, GENERATOR})
"""Every generator verification can rebuild for."""


@dataclass(frozen=True, slots=True)
class BuildSpec:
    """Everything that decides a report's bytes besides the records themselves."""

    jobs: tuple[tuple[str, str], ...]
    period: Period
    audit_range: AuditRange
    checkpoint_seq: int | None
    paper: str = "A4"
    checkpoint_keys: Mapping[str, Ed25519PublicKey] | None = None
    """Trusted checkpoint keys by key id: the chain check then verifies signatures too."""
    generator: str = GENERATOR
    """How to render (one of :data:`GENERATORS`): a manifest's, when verifying."""


@dataclass(frozen=True, slots=True)
class Built:
    name: str
    fmt: str
    title: str
    path: Path
    content_sha256: str | None
    rows: int | None
    context_records: dict[int, str]


@dataclass(frozen=True, slots=True)
class BuildResult:
    files: list[Built]
    scan: ScanResult
    checkpoint: CheckpointRef | None


def file_name(name: str, period: Period, fmt: str, paper: str) -> str:
    suffix = "" if fmt == "csv" or paper.upper() == "A4" else f"_{paper.lower()}"
    return f"{name}_{period.label()}{suffix}.{fmt}"


def build(log: AuditLog, spec: BuildSpec, out_dir: Path) -> BuildResult:
    """Write the requested files into ``out_dir`` (atomically renamed into place)."""
    if spec.generator not in GENERATORS:
        raise ValueError(f"cannot render as {spec.generator!r}: this build knows {sorted(GENERATORS)}")
    guard = spec.generator != UNGUARDED_CSV
    out_dir.mkdir(parents=True, exist_ok=True)
    scan = Scan(spec.audit_range)
    cp = checkpoints.load(log, spec.checkpoint_seq) if spec.checkpoint_seq else None
    ctx = Context(log, spec.period, spec.audit_range, scan, checkpoint=cp)
    projections: dict[str, Projection] = {}
    sinks: dict[str, CsvSink | NullSink] = {}
    for name, _ in spec.jobs:
        if name in projections:
            continue
        wants_csv = (name, "csv") in spec.jobs
        final = out_dir / file_name(name, spec.period, "csv", spec.paper)
        cls = REPORTS[name]
        sinks[name] = (
            CsvSink(_partial(final), cls.csv_header, guard_formulas=guard) if wants_csv else NullSink()
        )
        projections[name] = cls(ctx, sinks[name])
    try:
        result = scan.run(log, spec.checkpoint_keys)
        for projection in projections.values():
            projection.finish(result)
    finally:
        for sink in sinks.values():
            sink.close()
    files: list[Built] = []
    for name, fmt in spec.jobs:
        projection = projections[name]
        context = ctx.context_for(projection)
        final = out_dir / file_name(name, spec.period, fmt, spec.paper)
        if fmt == "csv":
            os.replace(_partial(final), final)
            files.append(
                Built(name, fmt, projection.title, final, None, sinks[name].rows, context)
            )
            continue
        document = projection.document(result)
        digest = document.digest()
        render_pdf(
            document,
            cover_stamps(projection.title, ctx, result, context, digest, spec.paper),
            _partial(final),
            period_text=spec.period.describe(),
            footer=footer(result),
            created=spec.period.end,
            paper=spec.paper,
        )
        os.replace(_partial(final), final)
        files.append(Built(name, fmt, projection.title, final, digest, None, context))
    return BuildResult(files, result, cp)


def _partial(final: Path) -> Path:
    return final.with_name(f".{final.name}.partial")
