"""What the benchmarks read of the processes they start: children, memory, CPU time (from /proc)."""

import os
import subprocess
from pathlib import Path


def family(pid: int) -> list[int]:
    """``pid`` and its children."""
    try:
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    except OSError:
        children = []
    return [pid, *map(int, children)]


def status_mb(pid: int, field: str) -> float | None:
    """A memory figure of /proc/<pid>/status (``VmRSS``, ``VmHWM``) in MB; None once the process is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith(f"{field}:")), 0) / 1024


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes ``pids`` used so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (after the command's parenthesis)
    return total / os.sysconf("SC_CLK_TCK")
