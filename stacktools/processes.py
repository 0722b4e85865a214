"""The processes of a Procfile process's group, read from /proc (bench and the stack tests both ask)."""

from pathlib import Path


def group_members(pgid: int) -> list[int]:
    """Every live process whose process group is `pgid`."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()  # the name in parentheses may hold spaces
        if len(fields) > 2 and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return sorted(members)


def followers(pgid: int) -> list[int]:
    """The processes of a group other than its leader: a gunicorn master's workers, for one."""
    return [pid for pid in group_members(pgid) if pid != pgid]
