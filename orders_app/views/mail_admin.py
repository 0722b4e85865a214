"""orders_app's page of e-mail that could not be sent (receipts, cancellation notices)."""

from orders_app.outbox import OUTBOX
from shared_ui.outbox_admin import admin_blueprint

bp = admin_blueprint("orders", OUTBOX)
