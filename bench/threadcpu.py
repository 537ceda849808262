"""CPU time per thread of this process, for the benchmarks' 'where does it go' figures."""

from __future__ import annotations

import os
import threading


def thread_cpu() -> dict[str, float]:
    """CPU seconds (user + system) of each live thread of this process, by thread name;
    threads of one pool are summed under the pool's name."""
    tick = os.sysconf("SC_CLK_TCK")
    used: dict[str, float] = {}
    for thread in threading.enumerate():
        try:
            with open(f"/proc/self/task/{thread.native_id}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        name = thread.name.rsplit("_", 1)[0] if "_" in thread.name else thread.name
        used[name] = used.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return used
