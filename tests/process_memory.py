"""Memory of processes the tests start (Linux /proc)."""

from __future__ import annotations


def rss_mb(pid: int) -> float:
    """Resident set size of ``pid`` from /proc (VmRSS, kB), in MB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for pid {pid}")
