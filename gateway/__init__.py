"""gateway."""

from pathlib import Path as _Path

from risk_controls.native_guard import ensure_fresh as _ensure_fresh

_ensure_fresh(_Path(__file__).parent)  # never run a compiled module older than its source
