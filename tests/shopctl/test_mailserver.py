"""The dev `mail` process keeps every message in `$SHOP_VAR_DIR/mail/`: a password reset link among
them is good for 30 minutes, so the files are its owner's alone, as `.env` and the backups are."""

import asyncio
import os
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from shopctl.mailserver import KeepEveryMessage


def handled(folder, envelope) -> str:
    """The handler's answer to one message, on an event loop of its own in a thread of its own, as the
    `mail` process runs it: this thread may already run one (Playwright's, after the browser tests)."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(lambda: asyncio.run(KeepEveryMessage(folder).handle_DATA(None, None, envelope))).result(60)


def test_a_kept_message_and_its_folder_are_readable_by_their_owner_only(tmp_path):
    folder = tmp_path / "mail"
    message = b"To: alice@example.com\r\nSubject: Reset your password\r\n\r\nhttp://shop/users/password/reset/x\r\n"
    envelope = SimpleNamespace(content=message, rcpt_tos=["alice@example.com"])
    previous = os.umask(0o022)  # a login shell's: files 0644, anyone on the machine could read the link
    try:
        answer = handled(folder, envelope)
    finally:
        os.umask(previous)
    assert answer.startswith("250")
    [kept] = folder.glob("*.eml")
    assert kept.read_bytes() == message
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600 and stat.S_IMODE(folder.stat().st_mode) == 0o700


def keep(folder, subject: str) -> None:
    """One message through a fresh handler, as a `mail` process started anew would keep it."""
    message = f"To: alice@example.com\r\nSubject: {subject}\r\n\r\nhello\r\n".encode()
    envelope = SimpleNamespace(content=message, rcpt_tos=["alice@example.com"])
    assert handled(folder, envelope).startswith("250")


def test_a_restarted_mail_process_keeps_both_messages_of_the_same_second_oldest_first(tmp_path):
    folder = tmp_path / "mail"
    keep(folder, "First")
    keep(folder, "Second")  # its counter starts at 1 again, most likely within the same second
    kept = sorted(folder.glob("*.eml"))
    assert [path.read_bytes().split(b"Subject: ")[1].split(b"\r\n")[0] for path in kept] == [b"First", b"Second"]


def test_kept_messages_are_named_by_utc_time_whatever_the_local_time_zone(tmp_path, monkeypatch):
    # Local time jumps back an hour when daylight saving ends: names in it would sort a new message
    # before the hour's older ones. UTC never jumps.
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")  # UTC+14: a local name would be a day ahead
    time.tzset()
    try:
        keep(tmp_path, "Reset your password")
    finally:
        monkeypatch.undo()
        time.tzset()
    [kept] = tmp_path.glob("*.eml")
    written = datetime.strptime(kept.name[:15], "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - written) < timedelta(minutes=1)
