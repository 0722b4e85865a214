"""Calls on inventory's internal stock API and reads of its ledger, for the stock tests."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from inventory_app.extensions import db
from inventory_app.models import StockMovement
from tests.helpers import SECRETS

SERVICE = {"X-Service-Token": SECRETS["SHOP_SERVICE_TOKEN"]}
HOLDS = "/inventory/internal/reservations"


def rfc3339(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


def in_an_hour() -> str:
    """An hour from now, when called (a value taken at import would be in the past in a long run)."""
    return rfc3339(timedelta(hours=1))


def hold(client, key, item_id, quantity=1, expires_at=None):
    """A one-item hold (expiring in an hour unless `expires_at`), in the body orders_app has sent since the start."""
    body = {"key": key, "item_id": item_id, "quantity": quantity, "expires_at": expires_at or in_an_hour()}
    return client.post(HOLDS, json=body, headers=SERVICE)


def hold_lines(client, key, lines, expires_at=None):
    """A hold of `lines` [(item_id, quantity)], expiring in an hour unless `expires_at`."""
    body = {
        "key": key,
        "lines": [{"item_id": i, "quantity": n} for i, n in lines],
        "expires_at": expires_at or in_an_hour(),
    }
    return client.post(HOLDS, json=body, headers=SERVICE)


def change_lines(client, key, lines):
    """Set a hold's lines to `lines` [(item_id, quantity)]."""
    body = {"lines": [{"item_id": i, "quantity": n} for i, n in lines]}
    return client.patch(f"{HOLDS}/{key}", json=body, headers=SERVICE)


def stock_of(client, item_id) -> dict:
    response = client.get(f"/inventory/internal/items/{item_id}", headers=SERVICE)
    assert response.status_code == 200
    return response.get_json()


def on_hand(client, *item_ids) -> list[int]:
    return [stock_of(client, item_id)["quantity"] for item_id in item_ids]


def movements(app, key=None, item_id=None) -> list[tuple[int, str]]:
    """(delta, reason) of the stock movements, oldest first, of one key and/or item."""
    with app.app_context():
        query = select(StockMovement.delta, StockMovement.reason).order_by(StockMovement.id)
        if key:
            query = query.where(StockMovement.key == key)
        if item_id:
            query = query.where(StockMovement.item_id == item_id)
        return [tuple(row) for row in db.session.execute(query)]
