"""Pre-trade risk controls: the domain model, policy schema and pure checks.

This package is the bottom layer of the gateway. It imports nothing from the
other packages; storage, protocols and the server build on top of it.
"""

from pathlib import Path as _Path

from risk_controls.native_guard import ensure_fresh as _ensure_fresh

_ensure_fresh(_Path(__file__).parent)  # never run a compiled module older than its source
