"""users_app's page of e-mail that could not be sent (password resets, address notices)."""

from shared_ui.outbox_admin import admin_blueprint
from users_app.mail import OUTBOX

bp = admin_blueprint("users", OUTBOX)
