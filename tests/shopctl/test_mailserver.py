"""The dev `mail` process keeps every message in `$SHOP_VAR_DIR/mail/`: a password reset link among
them is good for 30 minutes, so the files are its owner's alone, as `.env` and the backups are."""

import asyncio
import os
import stat
from types import SimpleNamespace

from shopctl.mailserver import KeepEveryMessage


def test_a_kept_message_and_its_folder_are_readable_by_their_owner_only(tmp_path):
    folder = tmp_path / "mail"
    message = b"To: alice@example.com\r\nSubject: Reset your password\r\n\r\nhttp://shop/users/password/reset/x\r\n"
    envelope = SimpleNamespace(content=message, rcpt_tos=["alice@example.com"])
    previous = os.umask(0o022)  # a login shell's: files 0644, anyone on the machine could read the link
    try:
        answer = asyncio.run(KeepEveryMessage(folder).handle_DATA(None, None, envelope))
    finally:
        os.umask(previous)
    assert answer.startswith("250")
    [kept] = folder.glob("*.eml")
    assert kept.read_bytes() == message
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600 and stat.S_IMODE(folder.stat().st_mode) == 0o700
