"""Forgotten passwords: a signed, single-use link valid 30 minutes, sent through the outbox.

The answer to "send me a link" is the same whether or not an account has the address, and so is
the work done: one write transaction that looks the address up and counts the request, with the
outbox row added only when there is an account (no password hashing on this path at all).
Requests from a browser the account logged in with (its device cookie, users_app/devices.py) are
counted apart from strangers', so a stranger cannot use up the owner's links; it is read from the
request whatever the address, and the answer and the cookie stay the same either way.

The link carries {uid, fp}: `fp` is a fingerprint of the password hash the account had when the
link was made. Setting a new password changes the hash, so the same link (or any older one) is
refused afterwards: single use without storing anything. A deleted account has no hash left.
"""

from datetime import timedelta
from hashlib import sha256

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from shared_ui.db import write_transaction
from users_app import mail
from users_app.accounts import EMAIL_MAX, AccountError, find_by_email
from users_app.devices import Device
from users_app.extensions import db
from users_app.models import Attempt, User, utcnow
from users_app.passwords import hash_password, password_problem
from users_app.reset_links import ResetLinkError, user_for_token
from users_app.throttle import Throttled, client_network, forgive_login

WINDOW = timedelta(hours=1)
KIND = "reset"


def _email_key(email: str) -> str:
    """What the per-address count keys on: a hash, so the attempts table keeps no addresses."""
    return sha256(email.strip().lower().encode()).hexdigest()[:64]


def request_reset(email: str, address: str, device: Device | None = None) -> None:
    """Queue a reset link when an active account has `email`; the same work and answer otherwise.

    Raises Throttled when this network asked too often (the same for every address). Past the
    per-address limit, nothing more is sent to that address (and the answer stays the same).
    From a `device` trusted for the account, that limit counts the device's requests alone: a
    stranger asking for links to the address cannot use up its owner's (users_app/devices.py).
    """
    config = current_app.config
    address = client_network(address)
    email = (email or "").strip()[:EMAIL_MAX]
    since = utcnow() - WINDOW
    per_network = db.session.scalar(
        select(func.count()).where(Attempt.kind == KIND, Attempt.address == address, Attempt.at >= since)
    )
    if per_network >= config["SHOP_RESETS_PER_NETWORK"]:
        raise Throttled(_("Too many password reset requests from your network. Please try again later."), 3600)
    with write_transaction(db):
        user = find_by_email(email) if email else None
        key = (device.key_for(user, KIND) if device and user else None) or _email_key(email)
        per_address = db.session.scalar(
            select(func.count()).where(Attempt.kind == KIND, Attempt.login_key == key, Attempt.at >= since)
        )
        db.session.add(Attempt(kind=KIND, address=address, login_key=key))
        if user is not None and user.is_active and per_address < config["SHOP_RESETS_PER_ADDRESS"]:
            mail.enqueue_password_reset(user)


def reset_password(token: str, new_password: str) -> User:
    """Set the password the link's holder chose; every session and token of the account ends."""
    user = user_for_token(token)
    if problem := password_problem(new_password or "", user.login):
        raise AccountError(problem, "password")
    old_hash = user.password_hash
    new_hash = hash_password(new_password)
    with write_transaction(db):
        # Conditional on the hash the link was made for: two uses racing, one wins.
        changed = db.session.execute(
            update(User)
            .where(User.id == user.id, User.password_hash == old_hash)
            .values(
                password_hash=new_hash,
                session_version=User.session_version + 1,
                # a change of address waiting was asked with the old password (email_confirm.py): it ends
                email_pending=None,
                email_pending_at=None,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed == 1:  # a guesser's failures no longer keep the owner out
            forgive_login(user.login, user.id)
    if changed != 1:
        raise ResetLinkError(
            _("This link was used already, or the password was changed since it was sent. Ask for a new one.")
        )
    return db.session.get(User, user.id, populate_existing=True)
