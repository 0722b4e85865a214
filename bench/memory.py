"""Memory of the stack: every process in each Procfile process's group (masters, workers, nginx workers).

PSS (proportional set size, /proc/<pid>/smaps_rollup) counts a page shared by N processes as 1/N
in each, so the sum over processes is what the stack really occupies; where PSS cannot be read,
RSS from /proc/<pid>/status stands in (and over-counts shared pages).
"""

import os
import threading
from pathlib import Path

from stacktools.processes import group_members

MIB = 1024 * 1024


def process_memory(pid: int) -> tuple[int, str]:
    """(bytes, "pss" or "rss") for one process; (0, "gone") when it has ended."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024, "pss"
    except OSError:
        pass
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024, "rss"
    except OSError:
        pass
    return 0, "gone"


def command_name(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"
    return raw[:120]


def snapshot(groups: dict[str, int]) -> dict:
    """{"total_mib", "kind", "groups": {name: {"mib", "processes": [{pid, mib, command}]}}}."""
    result = {"groups": {}, "total_mib": 0.0, "kind": "pss"}
    for name, pgid in groups.items():
        processes = []
        for pid in group_members(pgid):
            size, kind = process_memory(pid)
            if kind == "gone":
                continue
            if kind == "rss":
                result["kind"] = "rss"
            processes.append({"pid": pid, "mib": round(size / MIB, 1), "command": command_name(pid)})
        mib = round(sum(p["mib"] for p in processes), 1)
        result["groups"][name] = {"mib": mib, "processes": processes}
        result["total_mib"] += mib
    result["total_mib"] = round(result["total_mib"], 1)
    return result


class Sampler:
    """Samples the groups' memory in the background and keeps the largest total seen."""

    def __init__(self, groups: dict[str, int], interval: float = 1.0):
        self.groups = groups
        self.interval = interval
        self.peak: dict | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> "Sampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            sample = snapshot(self.groups)
            if self.peak is None or sample["total_mib"] > self.peak["total_mib"]:
                self.peak = sample
            self._stop.wait(self.interval)


def pss_available() -> bool:
    return Path(f"/proc/{os.getpid()}/smaps_rollup").exists()
