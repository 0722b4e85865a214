"""What a line of an order's history says, kept so that every reader gets it in their language.

A note is a message (its English text, marked for extraction: `note("...")`, `note_plural("...",
"...", num)`) and its arguments. The history stores both: `note`, the English text as written (the
audit text), and `note_data`, the message and its arguments, from which a page says it in the
reader's language (views/display.py). Money is kept as cents and a currency and times as ISO text,
so they are formatted when read, the reader's way. An argument may itself be a note (`via`).
"""

from dataclasses import dataclass, field
from datetime import datetime

from shared_ui.money import format_money

#: the language `Note.english` is written in (the stored audit text)
ENGLISH = "en"


@dataclass(frozen=True)
class Money:
    """An amount in a note: integer cents and a currency code."""

    cents: int
    currency: str

    @property
    def english(self) -> str:
        """As English audit text (admin flags, the `note` column) says it, whatever the request's language."""
        return format_money(self.cents, self.currency, locale=ENGLISH)


@dataclass(frozen=True)
class Note:
    """A history note: a message to translate and its arguments (str, int, Money, datetime, Note)."""

    msgid: str
    args: dict = field(default_factory=dict)
    plural: str | None = None

    @property
    def english(self) -> str:
        """The note in English, as the history's `note` column keeps it."""
        text = self.msgid if self.plural is None or self.args["num"] == 1 else self.plural
        return text % {name: _english(value) for name, value in self.args.items()}

    def data(self) -> dict:
        """The note as JSON (the history's `note_data` column)."""
        data = {"msgid": self.msgid, "args": {name: _encode(value) for name, value in self.args.items()}}
        if self.plural is not None:
            data["plural"] = self.plural
        return data

    @classmethod
    def from_data(cls, data: dict) -> "Note":
        args = {name: _decode(value) for name, value in data.get("args", {}).items()}
        return cls(data["msgid"], args, data.get("plural"))


def note(msgid: str, **args) -> Note:
    """A history note (the message is extracted for translation: babel's keyword `note`)."""
    return Note(msgid, args)


def note_plural(singular: str, plural: str, num: int, **args) -> Note:
    """A history note about `num` things (babel's keyword `note_plural:1,2`)."""
    return Note(singular, {**args, "num": num}, plural)


def english_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _english(value):
    if isinstance(value, Money):
        return value.english
    if isinstance(value, datetime):
        return english_time(value)
    if isinstance(value, Note):
        return value.english
    return value


def _encode(value):
    if isinstance(value, Money):
        return {"cents": value.cents, "currency": value.currency}
    if isinstance(value, datetime):
        return {"time": value.isoformat()}
    if isinstance(value, Note):
        return value.data()
    return value


def _decode(value):
    if isinstance(value, dict):
        if "cents" in value:
            return Money(value["cents"], value["currency"])
        if "time" in value:
            return datetime.fromisoformat(value["time"])
        return Note.from_data(value)
    return value
