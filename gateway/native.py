"""The native build: the order path's modules compiled with mypyc (shipped with mypy).

The hot path is plain typed Python; compiled, the same code runs in about two
thirds of the CPU (``gateway bench``). ``./gw`` builds it where a C compiler is
present and rebuilds it when a compiled module's source changes; without a
compiler the gateway runs the same modules as Python. A compiled module whose
source changed since the build is refused at import
(:mod:`risk_controls.native_guard`), so edited code never runs stale.

    python -m gateway.native build | clean | status
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from risk_controls.native_guard import MANIFEST, compiled_files, source_digest

ROOT = Path(__file__).resolve().parents[1]
_PACKAGES = ("risk_controls", "risk_controls/checks", "risk_controls/domain", "risk_controls/abuse",
             "risk_controls/mifid", "gateway/venues")  # fmt: skip
_MODULES = (
    "audit/record.py",
    "audit/batch.py",
    "gateway/pipeline.py",
    "gateway/router.py",
    "gateway/withdrawals.py",
    # the FIX order path: codec, session layer, drivers and the order-entry adapter
    "fix/codec.py",
    "fix/message.py",
    "fix/values.py",
    "fix/tags.py",
    "fix/ids.py",
    "fix/spec.py",
    "fix/admin.py",
    "fix/resend.py",
    "fix/session.py",
    "fix/throttle.py",
    "fix/parties.py",
    "fix/messages.py",
    "fix/orders.py",
    "fix/engine.py",
    "fix/journal.py",
    "fix/acceptor.py",
    "fix/initiator.py",
    "gateway/fix_entry.py",
)
_PURE = {"risk_controls/native_guard.py"}  # runs before any compiled module loads


def sources() -> list[str]:
    """The modules compiled, relative to the project root (package __init__ files stay Python)."""
    found = [
        path.relative_to(ROOT).as_posix()
        for package in _PACKAGES
        for path in sorted((ROOT / package).glob("*.py"))
        if path.name != "__init__.py"
    ]
    return [p for p in found if p not in _PURE] + list(_MODULES)


def build() -> None:
    clean()
    files = sources()
    command = [sys.executable, "-m", "mypyc", *files]
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)  # noqa: S603 our own files
    manifest = {"python": sys.version.split()[0], "sources": {f: source_digest(ROOT / f) for f in files}}
    (ROOT / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


def clean() -> None:
    for path in compiled_files(ROOT):
        path.unlink()
    (ROOT / MANIFEST).unlink(missing_ok=True)
    shutil.rmtree(ROOT / "build", ignore_errors=True)


def status() -> str:
    """``native`` (built and current), ``stale`` or ``python`` (not built)."""
    if not compiled_files(ROOT):
        return "python"
    try:
        recorded = json.loads((ROOT / MANIFEST).read_text())["sources"]
    except (OSError, ValueError, KeyError):
        return "stale"
    current = {f: source_digest(ROOT / f) for f in sources()}
    return "native" if current == recorded else "stale"


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "status"
    if command == "build":
        build()
    elif command == "clean":
        clean()
    elif command != "status":
        print(__doc__, file=sys.stderr)
        return 2
    print(status())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
