"""Building and sending e-mail: the standard library's EmailMessage and smtplib, nothing hand-built.

`SHOP_SMTP_URL` says where mail goes (DESIGN "E-mail"):
`smtp://host:port` (plain, the dev `mail` process), `smtp+starttls://user:pass@host:587`, or
`smtps://user:pass@host:465` (TLS from the first byte). User and password are percent-decoded.
"""

import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate
from hashlib import sha256
from urllib.parse import unquote, urlsplit

SCHEMES = {"smtp": ("plain", 25), "smtp+starttls": ("starttls", 587), "smtps": ("ssl", 465)}


class SmtpUrlError(ValueError):
    """SHOP_SMTP_URL is not an smtp://, smtp+starttls:// or smtps:// URL."""


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    security: str  # "plain", "starttls" or "ssl"
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:  # never the password, in a log or a traceback
        return f"SmtpServer({self.security}://{self.host}:{self.port}, user={self.username!r})"


def parse_smtp_url(url: str) -> SmtpServer:
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise SmtpUrlError("SHOP_SMTP_URL must look like smtp://host:port, smtp+starttls://… or smtps://…")
    security, default_port = SCHEMES[parts.scheme]
    return SmtpServer(
        host=parts.hostname,
        port=parts.port or default_port,
        security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def build_message(*, sender: str, to: str, subject: str, text: str, html: str, key: str) -> EmailMessage:
    """A multipart/alternative message (plain text, then HTML); its Message-ID comes from `key` alone,
    so a message sent twice after a crash can be recognised as the same one by the receiver (`key`
    must name this one message and no other, ever: make_msgid would add the time and a random number)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = Address(addr_spec=to)
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    domain = sender.rsplit("@", 1)[-1].strip("> ") or "shop.invalid"
    message["Message-ID"] = f"<{sha256(key.encode()).hexdigest()[:40]}@{domain}>"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def send(server: SmtpServer, message: EmailMessage, *, timeout: float = 10.0) -> None:
    """Hand `message` to the SMTP server; raises smtplib.SMTPException or OSError when it could not."""
    context = ssl.create_default_context()
    if server.security == "ssl":
        client = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(server.host, server.port, timeout=timeout)
    with client:
        if server.security == "starttls":
            client.starttls(context=context)
        if server.username:
            client.login(server.username, server.password or "")
        client.send_message(message)
