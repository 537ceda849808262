"""Child process for the crash test: append forever, print each acknowledged record.

Usage: python -m tests.audit.crash_child URL [SCHEMA]
Prints "<seq> <record_hash>" only after the record's ticket completed, i.e.
after the store acknowledged it as durable. The parent SIGKILLs us mid-stream.
"""

from __future__ import annotations

import sys
import threading

from audit.factory import open_sql_audit_log


def main() -> None:
    url = sys.argv[1]
    schema = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
    store = open_sql_audit_log(url, schema=schema, migrate_schema=False)
    lock = threading.Lock()

    def appender(thread: int) -> None:
        n = 0
        while True:
            tickets = [store.append("crash.test", {"thread": thread, "n": n + i}) for i in range(50)]
            n += 50
            acked = [ticket.result(30) for ticket in tickets]
            lines = "".join(f"{r.seq} {r.record_hash}\n" for r in acked)
            with lock:
                sys.stdout.write(lines)
                sys.stdout.flush()

    threads = [threading.Thread(target=appender, args=(t,), daemon=True) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main()
