"""What a customer may do with their own data (LGPD, GDPR): download it, or delete the account.

Deleting erases the login, the e-mail address and the password hash (the login is free to be
registered again), ends every session and token (session_version), and asks orders_app first to
cancel the account's Pending orders (stock back on sale) and keep the others under an anonymous
customer for the shop's books. If orders_app cannot be reached nothing is erased.
"""

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from shared_ui.db import write_transaction
from shared_ui.outbox import QUEUED, SKIPPED
from users_app.accounts import AccountError, check_current_password
from users_app.devices import Device
from users_app.extensions import db
from users_app.models import MailMessage, User, utcnow
from users_app.orders_client import current_orders


def _rfc3339(moment) -> str | None:
    return moment.replace(microsecond=0).isoformat() + "Z" if moment else None


def export(user: User) -> dict:
    """One JSON document: the account, its orders with lines and payments, its cart, the e-mails sent to it."""
    from_orders = current_orders().orders_of(user.id)
    own_mail = db.session.scalars(select(MailMessage).where(MailMessage.user_id == user.id).order_by(MailMessage.id))
    emails = [message.to_export() for message in own_mail] + from_orders.get("emails", [])
    return {
        "account": {
            "id": user.id,
            "login": user.login,
            "email": user.email,
            "email_pending": user.email_pending,  # asked for, its link not yet confirmed
            "language": user.locale,
            "is_admin": user.is_admin,
            "created_at": _rfc3339(user.created_at),
        },
        "orders": from_orders.get("orders", []),
        "cart": from_orders.get("cart", []),
        "emails": sorted(emails, key=lambda m: m.get("created_at") or ""),
        "exported_at": _rfc3339(utcnow()),
    }


def _last_active_admin(user: User) -> bool:
    if not (user.is_admin and user.is_active):
        return False
    others = db.session.scalar(
        select(func.count()).where(User.is_admin.is_(True), User.is_active.is_(True), User.id != user.id)
    )
    return others == 0


def delete_account(user: User, password: str, *, address: str | None = None, device: Device | None = None) -> None:
    """Erase the account (see the module docstring); AccountError for a wrong password or the last admin.

    The password is checked as accounts.check_current_password does: with the caller's `address`,
    a wrong one counts as a failed login (throttle.Throttled past the limits).
    Raises orders_client.OrdersUnavailable when orders_app cannot do its part (nothing is erased).
    """
    check_current_password(user, password, "password", address=address, device=device)
    last_admin = AccountError(
        _("You are the last active administrator: make another account an administrator first."),
        "password",
        status=409,
        code="conflict",
    )
    if _last_active_admin(user):
        raise last_admin
    current_orders().erase(user.id, user.login)
    with write_transaction(db):
        user = db.session.get(User, user.id, populate_existing=True)
        if _last_active_admin(user):
            raise last_admin
        user.login = f"#deleted-{user.id}"  # "#" is never in a login: the old one is free again
        user.email = None
        user.drop_email_change()
        user.password_hash = ""
        user.locale = None
        user.is_admin = False
        user.is_active = False
        user.session_version += 1
        user.deleted_at = utcnow()
        db.session.execute(
            update(MailMessage)
            .where(MailMessage.user_id == user.id, MailMessage.state == QUEUED)
            .values(state=SKIPPED)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            update(MailMessage)
            .where(MailMessage.user_id == user.id)
            .values(to_address=None)
            .execution_options(synchronize_session=False)
        )
