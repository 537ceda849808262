"""Checkpoint-key endorsements waiting for their announcement.

``gateway keys rotate`` has the retiring key sign its successor while it still
can (:func:`audit.checkpoint.endorse`) and leaves the signature here, in the data
directory (it is public: a signature over a public key). The next start announces
the new key in the log with it, so a verifier that trusts the log's first key can
follow every rotation from the log alone.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

_FOLDER = "checkpoint-key-endorsements"


def save_endorsement(data_dir: Path, key_id: str, previous_key_id: str, endorsement: str) -> Path:
    folder = data_dir / _FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{key_id}.json"
    staged = path.with_suffix(".tmp")
    body = {"key_id": key_id, "previous_key_id": previous_key_id, "endorsement": endorsement}
    staged.write_text(json.dumps(body, sort_keys=True) + "\n")
    with staged.open("rb") as handle:
        os.fsync(handle.fileno())
    staged.replace(path)
    return path


def load_endorsement(data_dir: Path, key_id: str) -> dict[str, Any] | None:
    """The endorsement left for ``key_id``, or None (no rotation by the CLI, or unreadable)."""
    path = data_dir / _FOLDER / f"{key_id}.json"
    try:
        found: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return found if found.get("key_id") == key_id else None
