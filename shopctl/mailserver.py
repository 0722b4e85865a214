"""The `mail` process (dev and tests): an SMTP server that keeps every message it receives.

Each message is written to `$SHOP_VAR_DIR/mail/<UTC time>Z-<n>.eml` and announced with one line
(subject and recipient), so a newcomer can open a password reset link:

    python -m shopctl.mailserver          # serve on 127.0.0.1:$SHOP_MAIL_PORT (1025)
    python -m shopctl.mailserver show     # print the newest message's text (its links too)

Started by honcho only when SHOP_SMTP_URL points at it (shopctl/procfile.py); anywhere else, mail
goes to the server SHOP_SMTP_URL names.
"""

import os
import signal
import sys
import threading
import time
from email import message_from_bytes, policy
from itertools import count
from pathlib import Path

from shared_ui.config import env, env_int, var_dir


def mail_dir() -> Path:
    return var_dir() / "mail"


class KeepEveryMessage:
    """aiosmtpd handler: one .eml file and one printed line per message."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.numbers = count(1)

    async def handle_DATA(self, server, session, envelope):
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # a reset link is a secret for 30 minutes
        # UTC: local time goes back an hour when daylight saving ends, and names sort oldest first.
        second = time.strftime("%Y%m%d-%H%M%SZ", time.gmtime())
        partial = self.folder / f"{second}.part"
        with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as written:
            written.write(envelope.content)
        # A link, unlike a rename, never replaces a message already there (one a process that ran
        # before this one kept in the same second, its counter starting at 1 too): the next number does.
        for number in self.numbers:  # readers never see half a message
            name = f"{second}-{number:05d}.eml"
            try:
                os.link(partial, self.folder / name)
                break
            except FileExistsError:
                continue
        partial.unlink()
        message = message_from_bytes(envelope.content, policy=policy.default)
        print(f"mail: {message['Subject']!s} -> {', '.join(envelope.rcpt_tos)} ({self.folder / name})", flush=True)
        return "250 Message accepted"


def serve() -> None:
    from aiosmtpd.controller import Controller

    port = env_int("SHOP_MAIL_PORT", 1025)
    controller = Controller(KeepEveryMessage(mail_dir()), hostname="127.0.0.1", port=port)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    controller.start()
    print(f"mail: SMTP on 127.0.0.1:{port}, keeping messages in {mail_dir()}", flush=True)
    stopping.wait()
    controller.stop()


def show() -> None:
    messages = sorted(mail_dir().glob("*.eml"))
    if not messages:
        raise SystemExit(f"no mail in {mail_dir()} yet")
    message = message_from_bytes(messages[-1].read_bytes(), policy=policy.default)
    print(f"To: {message['To']}\nSubject: {message['Subject']}\n")
    print(message.get_body(preferencelist=("plain",)).get_content())


if __name__ == "__main__":
    if env("SHOP_ENV") != "test":
        from shared_ui.config import load_env

        load_env()
    show() if sys.argv[1:2] == ["show"] else serve()
