"""The Procfile's processes: which run, and with what command."""

from shared_ui.config import PROJECT_ROOT
from shopctl.settings import uses_emulator

PROCFILE = PROJECT_ROOT / "Procfile"


def read() -> dict[str, str]:
    """{process name: shell command} in Procfile order."""
    processes = {}
    for line in PROCFILE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            processes[name.strip()] = command.strip()
    return processes


def wanted(env: dict[str, str]) -> list[str]:
    """Every process, but the Stripe emulator only when Stripe calls go to it."""
    return [name for name in read() if name != "stripe" or uses_emulator(env)]
