"""FIX logon credentials kept as scrypt hashes, never as passwords.

The session layer calls an authenticator ``(session_id, username, password,
peer) -> bool``. :class:`PasswordFile` is the file-backed one the gateway uses
by default; a deployment with a secrets server wires its own callable instead.
File format, one line per credential (``#`` comments)::

    FIX.4.4:GATEWAY->DESK1  desk1-trader  scrypt$16384$8$1$<salt hex>$<hash hex>

``python -m fix.auth <password>`` prints a hash for the third column.
A missing or unreadable file denies everyone (fail closed).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import sys
from pathlib import Path

log = logging.getLogger(__name__)
_N, _R, _P = 16384, 8, 1


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, encoded: str) -> bool:
    try:
        scheme, n, r, p, salt, expected = encoded.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(digest.hex(), expected)


class PasswordFile:
    """Authenticator over a credentials file, re-read when it changes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._mtime: float | None = None
        self._entries: dict[tuple[str, str], str] = {}

    def _load(self) -> None:
        try:
            mtime = self.path.stat().st_mtime
        except OSError:
            if self._mtime is not None or not self._entries:
                log.error("FIX credentials file %s missing: every logon is refused", self.path)
            self._entries, self._mtime = {}, None
            return
        if mtime == self._mtime:
            return
        entries: dict[tuple[str, str], str] = {}
        for number, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), 1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            parts = text.split()
            if len(parts) != 3:
                log.error("%s:%d: expected 'session username hash'", self.path, number)
                continue
            entries[(parts[0], parts[1])] = parts[2]
        self._entries, self._mtime = entries, mtime

    def __call__(self, session_id: str, username: str | None, password: str | None, peer: str | None) -> bool:
        self._load()
        if not username or password is None:
            return False
        encoded = self._entries.get((session_id, username))
        return encoded is not None and verify_password(password, encoded)


if __name__ == "__main__":  # pragma: no cover - operator tool
    print(hash_password(sys.argv[1]))
