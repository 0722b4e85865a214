"""The emulator's per-app objects (settings, database, background threads), kept on the app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import current_app

from .config import Settings
from .storage import Store

if TYPE_CHECKING:
    from .background import Background


@dataclass
class Runtime:
    """What every view needs: `runtime().settings`, `runtime().store`."""

    settings: Settings
    store: Store
    background: Background | None


def runtime() -> Runtime:
    """The current app's runtime."""
    return current_app.extensions["stripe_emulator"]
