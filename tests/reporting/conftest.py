"""Shared fixtures: the sample day, the reports generated from it once, and CSV/PDF readers."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader

from audit.api import AuditRecord
from reporting import generate_report
from reporting.auditrange import locate
from reporting.period import Period
from tests.reporting.daylog import SampleLog, build_sample_log


@dataclass
class Generated:
    sample: SampleLog
    out: Path
    paths: list[Path]

    def file(self, name: str, ext: str) -> Path:
        return self.out / f"{name}_{self.sample.day.isoformat()}.{ext}"

    def csv(self, name: str) -> list[dict[str, str]]:
        return read_csv(self.file(name, "csv"))

    def pdf_text(self, name: str) -> str:
        return pdf_text(self.file(name, "pdf"))

    def records(self) -> list[AuditRecord]:
        """The records of the reporting day, read straight from the log."""
        rng = locate(self.sample.log, Period.day(self.sample.day))
        return list(self.sample.log.read(rng.first_seq, rng.last_seq))

    def of(self, *event_types: str) -> Iterator[AuditRecord]:
        return (r for r in self.records() if r.event_type in event_types)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def pdf_text(path: Path) -> str:
    """The text of every page, whitespace collapsed (table cells come out one per line)."""
    text = " ".join(page.extract_text() or "" for page in PdfReader(path).pages)
    return " ".join(text.split())


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    sample = build_sample_log()
    out = tmp_path_factory.mktemp("reports")
    paths = generate_report("all", sample.log, sample.day, sample.day, "both", out, sample.key)
    return Generated(sample, out, paths)


@pytest.fixture
def sample() -> SampleLog:
    """A fresh log for tests that tamper with it."""
    return build_sample_log()
