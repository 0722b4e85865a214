"""inventory_app's periodic work, run by the `jobs` process (shopctl/jobs.py)."""

from flask import current_app

from inventory_app import stock


def sweep_expired_holds() -> dict | None:
    """Give back the stock of holds past their deadline; safe when two sweepers run at once."""
    released = stock.sweep_expired(limit=current_app.config["SWEEP_BATCH"])
    return {"released": released} if released else None


PERIODIC = [("inventory.sweep_holds", 5, sweep_expired_holds)]
