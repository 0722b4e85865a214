"""CPU time per request: what each process group spent, read from /proc, independent of how busy the machine is.

Throughput on a shared two-core machine moves with the neighbours' load; the CPU time each request
costs hardly does, so it tells where the time goes (nginx, the app, wrk itself) when req/s are noisy.
"""

import os
import resource
from pathlib import Path

from stacktools.processes import group_members

TICKS = os.sysconf("SC_CLK_TCK")


def member_seconds(pgid: int) -> dict[int, float]:
    """{pid: user + system CPU seconds} of each live process in a group (ended children are not counted)."""
    spent = {}
    for pid in group_members(pgid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        spent[pid] = (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime
    return spent


def children_seconds() -> float:
    """CPU seconds of this process's finished children (wrk runs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class Meter:
    """CPU seconds spent by each group (and by wrk) between start() and stop()."""

    def __init__(self, groups: dict[str, int]):
        self.groups = groups

    def __enter__(self) -> "Meter":
        self.before = {name: member_seconds(pgid) for name, pgid in self.groups.items()}
        self.wrk_before = children_seconds()
        return self

    def __exit__(self, *exc) -> None:
        self.after = {name: member_seconds(pgid) for name, pgid in self.groups.items()}
        self.spent = {name: sum(self.after[name].values()) - sum(self.before[name].values()) for name in self.groups}
        self.spent["wrk"] = children_seconds() - self.wrk_before

    def busiest_share(self, name: str) -> float | None:
        """The share of group `name`'s CPU that its busiest process took (None if it took none)."""
        before, after = self.before[name], self.after[name]
        spent = [seconds - before.get(pid, 0.0) for pid, seconds in after.items()]
        total = sum(spent)
        return max(spent) / total if total > 0 else None

    def per_request_ms(self, requests: int) -> dict[str, float]:
        """Milliseconds of CPU per answered request, by group; groups that did nothing are left out."""
        if not requests:
            return {}
        return {name: round(1000 * s / requests, 3) for name, s in self.spent.items() if s > 0.005}
