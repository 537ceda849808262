"""Copy a SQLite write-ahead log back into its database off the commit path.

SQLite's automatic checkpoint runs inside the COMMIT that crosses 1,000 WAL
pages: the committing thread copies about 4 MB into the database file and
fsyncs it, 10 to 35 ms here, and every acknowledgement queued behind that
commit waits for it. :class:`WalCheckpointer` does the copying on a thread of
its own, with a connection of its own, while the writer goes on committing:
every ``interval`` a PASSIVE checkpoint copies what has been committed since.
It never blocks the writer. Once it has copied everything, the next commit
starts the log from its beginning again, as after any complete checkpoint.

Under a load that never leaves a gap between commits the copy cannot finish
first, and the log grows until the writer's own automatic checkpoint, kept on
at :data:`BACKSTOP_PAGES`, finishes it. By then this thread has copied all
but the last few pages, so even that checkpoint is short.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass

_log = logging.getLogger(__name__)

BACKSTOP_PAGES = 4096
"""The writer's wal_autocheckpoint with a checkpointer running (16 MB of 4 KB pages)."""


@dataclass(frozen=True, slots=True)
class Pass:
    """One PASSIVE checkpoint: pages in the log, and how many of them are copied back."""

    log_pages: int
    copied_pages: int


class WalCheckpointer:
    """A thread that checkpoints one SQLite database in WAL mode; see the module docstring."""

    def __init__(self, path: str, *, interval: float = 0.1, busy_ms: int = 20) -> None:
        self.path = path
        self.interval = interval
        self.busy_ms = busy_ms
        self.passes = 0
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
        """Copy what is committed, as far as no reader still needs the pages it overwrites."""
        _busy, log_pages, copied = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        self.passes += 1
        return Pass(log_pages, copied)

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
