"""A compiled module is never run when its source has changed since the build."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from risk_controls.native_guard import MANIFEST, ensure_fresh, source_digest


def _project(tmp_path: Path) -> Path:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "hot.py").write_text("X = 1\n")
    (package / "hot.cpython-311-x86_64-linux-gnu.so").write_bytes(b"compiled from X = 1")
    manifest = {"sources": {"pkg/hot.py": source_digest(package / "hot.py")}}
    (tmp_path / MANIFEST).write_text(json.dumps(manifest))
    return package


def test_a_build_that_matches_its_sources_loads(tmp_path: Path) -> None:
    ensure_fresh(_project(tmp_path))


def test_an_edited_source_refuses_its_stale_compiled_module(tmp_path: Path) -> None:
    package = _project(tmp_path)
    (package / "hot.py").write_text("X = 2\n")
    with pytest.raises(ImportError, match=r"pkg/hot.py changed since its native build: run ./gw native"):
        ensure_fresh(package)


def test_compiled_modules_without_a_build_record_are_refused(tmp_path: Path) -> None:
    package = _project(tmp_path)
    (tmp_path / MANIFEST).unlink()
    with pytest.raises(ImportError, match="has no build record"):
        ensure_fresh(package)


def test_a_package_without_compiled_modules_needs_no_record(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    ensure_fresh(tmp_path / "plain")


def test_the_build_tool_itself_may_import_a_stale_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = _project(tmp_path)
    (package / "hot.py").write_text("X = 3\n")
    monkeypatch.setenv("GATEWAY_NATIVE_BUILDING", "1")
    ensure_fresh(package)
