"""users_app's e-mail: the outbox (shared_ui/outbox.py), what goes in it, and how each kind reads."""

import secrets

from flask import current_app
from flask_babel import gettext as _

from shared_ui import outbox
from shared_ui.i18n import current_locale
from users_app import email_confirm, email_restore
from users_app.extensions import db
from users_app.models import MailAttempt, MailMessage, User
from users_app.reset_links import make_token

PASSWORD_RESET, EMAIL_CHANGED, EMAIL_RESTORED = "password_reset", "email_changed", "email_restored"
EMAIL_CONFIRM = "email_confirm"


def render(message: MailMessage) -> outbox.Rendered | None:
    """The message as it is sent now; None when it has nowhere (or no more reason) to go."""
    user = db.session.get(User, message.user_id) if message.user_id else None
    if not message.to_address or user is None or user.deleted_at is not None:
        return None
    public_url = current_app.config["SHOP_PUBLIC_URL"]
    if message.kind == PASSWORD_RESET:
        if not user.is_active or (user.email or "").lower() != message.to_address.lower():
            return None  # the account's address changed since it was asked for: not to this one

        # The link is made now, from the password the account has now: never stored anywhere.
        link = f"{public_url}/users/password/reset/{make_token(user)}"
        subject, text, html = outbox.render_mail(
            "users/mail/password_reset",
            message.locale,
            lambda: _("Reset your password"),
            login=user.login,
            link=link,
            minutes=30,
            shop_url=public_url,
        )
    elif message.kind == EMAIL_CHANGED:
        # The undo link is made now too, for the address the account has now (email_restore.py).
        token = email_restore.make_token(user, message.to_address, message.created_at)
        restore_link = f"{public_url}/users/email/restore/{token}"
        subject, text, html = outbox.render_mail(
            "users/mail/email_changed",
            message.locale,
            lambda: _("Your e-mail address was changed"),
            login=user.login,
            restore_link=restore_link,
            days=email_restore.MAX_AGE_DAYS,
            shop_url=public_url,
        )
    elif message.kind == EMAIL_CONFIRM:
        pending, asked_at = user.email_pending, user.email_pending_at
        if pending is None or asked_at is None or pending.lower() != message.to_address.lower():
            return None  # confirmed, cancelled, replaced by a change to another address, or ended by a
            # password change or a restored address (email_confirm.py): its link would not work
        if message.created_at < asked_at:
            return None  # the link of an earlier request for the same address, replaced by a newer one

        # The link is made now, from the change waiting now (email_confirm.py): never stored.
        token = email_confirm.make_token(user, pending, asked_at)
        subject, text, html = outbox.render_mail(
            "users/mail/email_confirm",
            message.locale,
            lambda: _("Confirm your new e-mail address"),
            login=user.login,
            link=f"{public_url}/users/email/confirm/{token}",
            hours=email_confirm.MAX_AGE_HOURS,
            shop_url=public_url,
        )
    elif message.kind == EMAIL_RESTORED:
        subject, text, html = outbox.render_mail(
            "users/mail/email_restored",
            message.locale,
            lambda: _("Your account has its previous e-mail address again"),
            login=user.login,
            shop_url=public_url,
        )
    else:
        return None
    return outbox.Rendered(to=message.to_address, subject=subject, text=text, html=html)


OUTBOX = outbox.Outbox(db, MailMessage, MailAttempt, render)


def enqueue_password_reset(user: User) -> None:
    """Inside the caller's write transaction: a reset link to the account's address, in the
    account's language, or else the language of the page (or API call) that asked for it."""
    outbox.enqueue(
        OUTBOX,
        key=f"password-reset-{user.id}-{secrets.token_hex(8)}",
        kind=PASSWORD_RESET,
        user_id=user.id,
        to_address=user.email,
        locale=user.locale or current_locale(),
    )


def enqueue_email_changed(user: User, old_address: str) -> None:
    """Inside the caller's write transaction: a notice to the address the account had."""
    _enqueue_notice(user, EMAIL_CHANGED, old_address)


def enqueue_email_confirm(user: User, new_address: str) -> None:
    """Inside the caller's write transaction: a link to the new address that makes it the account's,
    in the account's language, or else the page's that asked for it."""
    _enqueue_notice(user, EMAIL_CONFIRM, new_address, user.locale or current_locale())


def enqueue_email_restored(user: User, replaced_address: str) -> None:
    """Inside the caller's write transaction: a notice to the address a restore link replaced (no
    link in it: the one who had it changed to this address may be reading)."""
    _enqueue_notice(user, EMAIL_RESTORED, replaced_address)


def _enqueue_notice(user: User, kind: str, to_address: str, locale: str | None = None) -> None:
    outbox.enqueue(
        OUTBOX,
        key=f"{kind.replace('_', '-')}-{user.id}-{secrets.token_hex(8)}",
        kind=kind,
        user_id=user.id,
        to_address=to_address,
        locale=locale or user.locale,
    )


def deliver():
    """The jobs process's periodic step."""
    return outbox.deliver_due(OUTBOX)
