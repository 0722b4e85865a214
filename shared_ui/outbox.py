"""The outbox: e-mail written in the same transaction as the change that causes it, sent later.

An app keeps two tables built from these mixins (`outbox` and `outbox_attempts`). A request, a
webhook or a job calls `enqueue(...)` inside its write transaction, under a key naming the event
(`order-7-paid`): whoever gets there second (a repeated webhook, the success page, reconcile)
writes nothing. The jobs process calls `deliver_due(...)` every few seconds: it claims each due
message with a conditional UPDATE (so two jobs processes never send the same one), asks the app
to render it (address and language looked up at send time; None = nowhere to send it: skipped),
sends it over SMTP outside any transaction, and records the attempt. A failure is retried with
exponential backoff; after MAX_ATTEMPTS the message is `failed` and shown to the admins.

Never inside a request: a message is only ever sent by the jobs process. A failure is a log line
with the message's key and the error's type, never its body or a token (reset links are made at
send time and never stored).
"""

import json
import logging
import smtplib
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app, g, render_template
from flask_babel import force_locale
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import String, Text, and_, func, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from shared_ui.db import write_transaction
from shared_ui.i18n import DEFAULT_LOCALE, LANGUAGES
from shared_ui.mail import build_message, parse_smtp_url, send

log = logging.getLogger("shop.mail")

QUEUED, SENDING, SENT, FAILED, SKIPPED = "queued", "sending", "sent", "failed", "skipped"
STATES = (QUEUED, SENDING, SENT, FAILED, SKIPPED)
#: after this many failed attempts a message is `failed` and waits for an admin
MAX_ATTEMPTS = 8
#: a claimed message whose sender died is claimed again after this long
CLAIM_SECONDS = 120
MAX_BACKOFF = timedelta(hours=1)
#: errors that say the mail server is not there (an SMTPException is an OSError too: not all of them)
UNREACHABLE = (ConnectionError, TimeoutError, socket.gaierror, smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected)
#: one delivery run stops taking new messages after this long (the jobs process has other work)
BUDGET_SECONDS = 20


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class OutboxMessageMixin:
    """One e-mail to send: what it is about (kind, payload), to whom, and how far it got."""

    id: Mapped[int] = mapped_column(primary_key=True)
    #: names the event: the same key is written once, whoever writes it
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(index=True)
    #: known when the message is written (users_app); else looked up when it is sent
    to_address: Mapped[str | None] = mapped_column(String(254))
    locale: Mapped[str | None] = mapped_column(String(16))
    #: JSON: what the message says, as it was when the event happened (never a secret)
    payload: Mapped[str] = mapped_column(Text, default="{}")
    state: Mapped[str] = mapped_column(String(16), default=QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(200))
    subject: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    @property
    def data(self) -> dict:
        return json.loads(self.payload or "{}")

    def to_export(self) -> dict:
        """What "Download my data" shows of a message: never its body (a reset link)."""
        return {
            "kind": self.kind,
            "to": self.to_address,
            "subject": self.subject,
            "state": self.state,
            "created_at": _rfc3339(self.created_at),
            "sent_at": _rfc3339(self.sent_at),
        }


class OutboxAttemptMixin:
    """One try at sending a message, and what came of it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str] = mapped_column(String(16))  # sent, failed, skipped
    error: Mapped[str | None] = mapped_column(String(200))


@dataclass
class Outbox:
    """An app's outbox: its database, its two models, and how it renders a message."""

    db: object
    message_model: type
    attempt_model: type
    #: message -> Rendered, or None when there is no address to send it to
    render: Callable[[object], "Rendered | None"]


@dataclass
class Rendered:
    to: str
    subject: str
    text: str
    html: str


class TryLater(Exception):
    """Rendering needs something that is not there right now (another app down): try again later.

    `unreachable`: that app did not answer at all, so the rest of the run waits too (as for a mail
    server that does not answer) instead of waiting out its timeouts once per message."""

    def __init__(self, message: str, *, unreachable: bool = False):
        super().__init__(message)
        self.unreachable = unreachable


def enqueue(
    outbox: Outbox,
    *,
    key: str,
    kind: str,
    user_id: int | None = None,
    to_address: str | None = None,
    locale: str | None = None,
    payload: dict | None = None,
    not_before: datetime | None = None,
) -> bool:
    """Write a message inside the caller's write transaction; False when its key is written already.

    `not_before`: the message waits until then, unless `hasten` makes it due sooner (a notice that
    had better say an outcome the shop is about to learn)."""
    db, model = outbox.db, outbox.message_model
    if db.session.scalar(select(model.id).where(model.key == key)) is not None:
        return False
    db.session.add(
        model(
            key=key,
            kind=kind,
            user_id=user_id,
            to_address=to_address,
            locale=locale,
            payload=json.dumps(payload or {}, sort_keys=True, default=str),
            state=QUEUED,
            attempts=0,
            next_attempt_at=not_before or utcnow(),
        )
    )
    return True


def hasten(outbox: Outbox, key: str) -> None:
    """Inside the caller's write transaction: the queued message `key`, if it waits (enqueue's
    `not_before`), is due now."""
    model, now = outbox.message_model, utcnow()
    outbox.db.session.execute(
        update(model)
        .where(model.key == key, model.state == QUEUED, model.next_attempt_at > now)
        .values(next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )


def render_mail(template: str, locale: str | None, subject: Callable[[], str], **context) -> tuple[str, str, str]:
    """(subject, text, html) of `template`.txt/.html in `locale` (English when unknown)."""
    g.shop_mail_rendering = True  # force_locale does nothing while `g` is empty
    with force_locale(locale if locale in LANGUAGES else DEFAULT_LOCALE):
        return subject(), render_template(f"{template}.txt", **context), render_template(f"{template}.html", **context)


def backoff(attempts: int, base_seconds: float) -> timedelta:
    """30 s, 1 min, 2 min… (with a 30 s base) up to an hour."""
    return min(timedelta(seconds=base_seconds * 2 ** max(0, attempts - 1)), MAX_BACKOFF)


def deliver_due(outbox: Outbox, *, now: datetime | None = None, batch: int = 50) -> dict | None:
    """Send what is due; {"sent": n, "failed": n, …} for the jobs log, None when nothing was due."""
    config = current_app.config
    url = config.get("SHOP_SMTP_URL")
    if not url:
        return None  # no mail server configured: messages wait in the outbox
    server = parse_smtp_url(url)
    now = now or utcnow()
    model = outbox.message_model
    due = or_(
        and_(model.state == QUEUED, model.next_attempt_at <= now),
        and_(model.state == SENDING, model.claimed_until < now),
    )
    ids = outbox.db.session.scalars(select(model.id).where(due).order_by(model.id).limit(batch)).all()
    outbox.db.session.commit()
    counts: dict[str, int] = {}
    deadline = time.monotonic() + BUDGET_SECONDS
    for message_id in ids:
        outcome, server_down = _deliver_one(outbox, server, message_id, due, now)
        if outcome:
            counts[outcome] = counts.get(outcome, 0) + 1
        # A mail server (or users_app) that does not answer costs one message's timeouts, not a whole
        # batch of them, and no attempt of the other messages. The rest waits for the next run.
        if server_down or time.monotonic() > deadline:
            break
    return counts or None


def _deliver_one(outbox: Outbox, server, message_id: int, due, now: datetime) -> tuple[str | None, bool]:
    """(outcome, whether the mail server could not be reached)."""
    db, model = outbox.db, outbox.message_model
    # Claimed from the moment of the claim (not of the batch's start), so a slow batch never hands
    # another jobs process a claim that has already lapsed.
    claimed_until = max(now, utcnow()) + timedelta(seconds=CLAIM_SECONDS)
    with write_transaction(db):
        claimed = db.session.execute(
            update(model)
            .where(model.id == message_id, due)
            .values(state=SENDING, claimed_until=claimed_until, attempts=model.attempts + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
    if claimed != 1:
        return None, False  # the other jobs process has it
    message = db.session.get(model, message_id, populate_existing=True)
    try:
        rendered = outbox.render(message)
        if rendered is not None:
            config = current_app.config
            email = build_message(
                sender=config["SHOP_MAIL_FROM"],
                to=rendered.to,
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html,
                # The key names the event in this database; when it was written tells two databases apart
                # (a new one writes order-1-paid again): one Message-ID per message, the same at every try.
                key=f"{message.key} {message.created_at.isoformat()}",
            )
            send(server, email, timeout=config.get("SHOP_SMTP_TIMEOUT", 10.0))
    except Exception as error:  # SMTP refused, server down, another app down: all retried
        unreachable = isinstance(error, UNREACHABLE) or getattr(error, "unreachable", False)
        return _failed(outbox, message_id, error, now), unreachable
    with write_transaction(db):
        message = db.session.get(model, message_id, populate_existing=True)
        message.claimed_until = None
        message.last_error = None
        if rendered is None:
            message.state = SKIPPED
            outcome = SKIPPED
        else:
            message.state = SENT
            message.sent_at = utcnow()
            message.subject = rendered.subject[:300]
            message.to_address = rendered.to
            outcome = SENT
        db.session.add(outbox.attempt_model(message_id=message_id, outcome=outcome, at=utcnow()))
    log.info(json.dumps({"event": "mail_" + outcome, "key": message.key, "kind": message.kind}))
    return outcome, False


def _failed(outbox: Outbox, message_id: int, error: Exception, now: datetime) -> str:
    db, model = outbox.db, outbox.message_model
    # The error's type and SMTP code only: its text may quote the message.
    reason = type(error).__name__ + (f" {error.smtp_code}" if hasattr(error, "smtp_code") else "")
    base = current_app.config.get("SHOP_MAIL_RETRY_SECONDS", 30)
    with write_transaction(db):
        message = db.session.get(model, message_id, populate_existing=True)
        message.claimed_until = None
        message.last_error = reason[:200]
        if message.attempts >= MAX_ATTEMPTS:
            message.state = FAILED
        else:
            message.state = QUEUED
            message.next_attempt_at = now + backoff(message.attempts, base)
        db.session.add(outbox.attempt_model(message_id=message_id, outcome="failed", error=reason[:200], at=utcnow()))
        key, attempts, state = message.key, message.attempts, message.state
    log.warning(
        json.dumps({"event": "mail_not_sent", "key": key, "attempt": attempts, "error": reason, "state": state})
    )
    return FAILED if state == FAILED else "retry"


def needing_attention(outbox: Outbox, limit: int = 50) -> tuple[list, int]:
    """Messages that kept failing, newest first, at most `limit` of them, and how many there are in
    all: for the admins' page."""
    model = outbox.message_model
    failed = select(model).where(model.state == FAILED)
    listed = outbox.db.session.scalars(failed.order_by(model.id.desc()).limit(limit)).all()
    if len(listed) < limit:
        return listed, len(listed)
    return listed, outbox.db.session.scalar(select(func.count()).select_from(failed.subquery()))


def retrying(outbox: Outbox) -> tuple[int, datetime | None]:
    """How many messages failed at least once and wait to be tried again by themselves, and when the
    next of them is due: the admins' page says so rather than "every message was sent"."""
    model = outbox.message_model
    waiting = and_(model.state.in_((QUEUED, SENDING)), model.attempts > 0)
    count, due = outbox.db.session.execute(select(func.count(), func.min(model.next_attempt_at)).where(waiting)).one()
    return count, due


def retry(outbox: Outbox, message_id: int) -> bool:
    """An admin asks for a failed message to be tried again (after fixing the mail server)."""
    model = outbox.message_model
    with write_transaction(outbox.db):
        changed = outbox.db.session.execute(
            update(model)
            .where(model.id == message_id, model.state == FAILED)
            .values(state=QUEUED, attempts=0, next_attempt_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
    return changed == 1


def metrics_source(outbox: Outbox) -> Callable:
    """A scrape-time source for shared_ui.metrics.add_collector: messages by kind and state."""

    def mail_metrics():
        model = outbox.message_model
        family = GaugeMetricFamily(
            "shop_mail_messages", "E-mail messages, by kind and outcome", labels=["kind", "state"]
        )
        rows = outbox.db.session.execute(
            select(model.kind, model.state, func.count()).group_by(model.kind, model.state)
        )
        for kind, state, count in rows.all():
            family.add_metric([kind, state], count)
        yield family

    return mail_metrics


def _rfc3339(moment: datetime | None) -> str | None:
    return moment.replace(microsecond=0).isoformat() + "Z" if moment else None
