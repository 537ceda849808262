"""Copy a SQLite write-ahead log back into its database off the commit path.

SQLite's automatic checkpoint runs inside the COMMIT that crosses 1,000 WAL
pages: the committing thread copies about 4 MB into the database file and
fsyncs it, 10 to 35 ms here, and every acknowledgement queued behind that
commit waits for it. :class:`WalCheckpointer` does the copying on a thread of
its own, with a connection of its own, while the writer goes on committing:

* every ``interval`` a PASSIVE checkpoint copies what the writer has
  committed since (it never blocks the writer);
* once the log holds ``restart_pages`` pages, a RESTART checkpoint, right
  after a PASSIVE one so little is left to copy, lets the next commit write
  the log from its beginning again. It holds the writer back for that short
  copy only; with a reader in the way it gives up after ``busy_ms`` and tries
  again later rather than hold the writer.

The writer's own automatic checkpoint stays on at :data:`BACKSTOP_PAGES`, far
above ``restart_pages``: it never runs while this thread keeps up, and keeps
the log bounded if this thread cannot.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass

_log = logging.getLogger(__name__)

BACKSTOP_PAGES = 16_384
"""The writer's wal_autocheckpoint with a checkpointer running (64 MB of 4 KB pages)."""


@dataclass(frozen=True, slots=True)
class Pass:
    """One PASSIVE checkpoint: pages in the log, pages copied back; whether it restarted."""

    log_pages: int
    copied_pages: int
    restarted: bool


class WalCheckpointer:
    """A thread that checkpoints one SQLite database in WAL mode; see the module docstring."""

    def __init__(
        self,
        path: str,
        *,
        interval: float = 0.1,
        restart_pages: int = 4096,
        busy_ms: int = 20,
    ) -> None:
        self.path = path
        self.interval = interval
        self.restart_pages = restart_pages
        self.busy_ms = busy_ms
        self.passes = 0
        self.restarts = 0
        self.failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="audit-wal-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def checkpoint(self, db: sqlite3.Connection) -> Pass:
        """Copy what is committed; restart the log once it holds ``restart_pages``."""
        _busy, log_pages, copied = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        restarted = False
        if log_pages >= self.restart_pages:
            busy, _, _ = db.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
            restarted = not busy
            self.restarts += restarted
        self.passes += 1
        return Pass(log_pages, copied, restarted)

    def _run(self) -> None:
        db: sqlite3.Connection | None = None
        while not self._stop.wait(self.interval):
            try:
                if db is None:
                    db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                    db.execute(f"PRAGMA busy_timeout = {int(self.busy_ms)}")
                self.checkpoint(db)
            except sqlite3.Error:
                # the writer is unaffected, and its backstop bounds the log meanwhile
                self.failures += 1
                if self.failures in (1, 10, 100) or self.failures % 1000 == 0:
                    _log.warning(
                        "WAL checkpoint of %s failed (%d so far)", self.path, self.failures, exc_info=True
                    )
                if db is not None:
                    db.close()
                    db = None
        if db is not None:
            db.close()
