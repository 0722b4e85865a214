"""A real SMTP server for tests (aiosmtpd), and the messages it received, parsed."""

import re
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

from stacktools.stack import free_port, wait_until

#: a password reset link in an e-mail's text
LINK = re.compile(r"https?://[^\s\"<]+/users/password/reset/[A-Za-z0-9_.\-]+")


class Inbox:
    """aiosmtpd handler: keeps every message it is given."""

    def __init__(self):
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address.lower() in str(m["To"]).lower()]


class SmtpServer:
    """An SMTP server on a free loopback port that can go down and come back (on the same port).

    A stopped aiosmtpd Controller cannot start again: each start makes a new one.
    """

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@contextmanager
def smtp_server(started: bool = True):
    server = SmtpServer()
    if started:
        server.start()
    try:
        yield server
    finally:
        server.stop()


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def read_mail_dir(folder: Path) -> list[EmailMessage]:
    """The messages the `mail` process kept (shopctl/mailserver.py), oldest first."""
    if not folder.exists():
        return []
    return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(folder.glob("*.eml"))]


def mail_to(stack, address: str) -> list:
    return [m for m in read_mail_dir(stack.var_dir / "mail") if address.lower() in str(m["To"]).lower()]


def wait_for_mail(stack, address: str, count: int = 1, timeout: float = 30) -> list:
    return wait_until(lambda: (m := mail_to(stack, address)) and len(m) >= count and m, timeout=timeout)
