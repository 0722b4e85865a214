"""Helpers of the orders_app tests: a logged-in client, form posts with CSRF, placing, paying,
webhooks signed as Stripe signs them, and reading an order back."""

from datetime import timedelta

from orders_app.extensions import db
from orders_app.models import DatabaseIdentity, Order, OrderLine, StripeEvent, utcnow
from shared_ui.i18n import SESSION_KEY
from tests.helpers import csrf_from, log_in
from tests.orders_app.fake_stripe import FakeStripe, signed


def logged_in(app, record):
    client = app.test_client()
    log_in(client, record)
    return client


def choose_language(client, lang: str) -> None:
    """What the layout's language switch leaves in the shared session."""
    with client.session_transaction() as session:
        session[SESSION_KEY] = lang


def post_form(client, path: str, data: dict | None = None, *, htmx: bool = False):
    """A form post with the session's CSRF token, as the pages send it (htmx: in the header)."""
    token = csrf_from(client, "/orders/")
    data = dict(data or {})
    headers = {}
    if htmx:
        headers = {"HX-Request": "true", "X-CSRFToken": token}
    else:
        data["csrf_token"] = token
    return client.post(path, data=data, headers=headers)


def place(client, item_id: int, quantity) -> int:
    """Order through the form; returns the new order's id."""
    response = post_form(client, "/orders/", {"inventory_id": item_id, "quantity": quantity})
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def half_placed(app, item_id: int, hold_minutes: float) -> int:
    """An order row as placing leaves it before inventory has answered (hold_state requesting); its id."""
    with app.app_context():
        order = Order(
            user_id=1,
            user_login="alice",
            currency="usd",
            hold_expires_at=utcnow() + timedelta(minutes=hold_minutes),
        )
        order.set_lines([OrderLine(inventory_id=item_id, item_name="Widget", unit_price_cents=50, quantity=1)])
        db.session.add(order)
        db.session.commit()
        return order.id


def fresh(app, order_id) -> Order:
    with app.app_context():
        order = db.session.get(Order, order_id)
        order.events  # noqa: B018 (load the history before leaving the session)
        db.session.expunge_all()
        return order


def actions(app, order_id) -> list[str]:
    return [event.action for event in fresh(app, order_id).events]


def stored_events(app, order_id) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.scalars(
            db.select(StripeEvent)
            .where(StripeEvent.order_id == order_id)
            .order_by(StripeEvent.received_at, StripeEvent.id)
        ).all()
        return [(row.type, row.outcome) for row in rows]


def pay(client, order_id: int, *, htmx: bool = False):
    return post_form(client, f"/orders/{order_id}/pay", htmx=htmx)


def session_of(app, order_id) -> str:
    return fresh(app, order_id).stripe_session_id


def deliver(app, event: dict, **sign):
    body, headers = signed(event, **sign)
    return app.test_client().post("/orders/stripe/webhook", data=body, headers=headers)


def cancelled_then_paid(app, client, item: int, stripe_fake: FakeStripe, quantity: int = 2) -> tuple[int, dict]:
    """An order whose link Stripe had paid, its events come the other way round: the expiry is
    delivered (the order is cancelled); (order id, the payment's event) still to deliver."""
    order_id = place(client, item, quantity)
    pay(client, order_id)
    session_id = session_of(app, order_id)
    expired = stripe_fake.event("checkout.session.expired", session_id)
    completed = stripe_fake.pay(session_id)
    assert deliver(app, expired).get_json()["outcome"] == "released"
    return order_id, completed


def paid_order(app, client, item: int, stripe_fake: FakeStripe, quantity: int = 2) -> int:
    order_id = place(client, item, quantity)
    assert pay(client, order_id).status_code == 303
    assert deliver(app, stripe_fake.pay(session_of(app, order_id))).status_code == 200
    return order_id


def database_id(app) -> str:
    """The orders database's own id, as its migration wrote it."""
    with app.app_context():
        return db.session.scalar(db.select(DatabaseIdentity.database_id))
