"""The pt-BR catalog is complete: every message in the code and templates has a translation.

The messages are extracted afresh from the sources with babel.cfg (as `make translations` does),
so a new or changed text fails here until it is translated in translations/pt_BR/.../messages.po.
"""

import fnmatch
import os
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from shared_ui.config import PROJECT_ROOT
from shared_ui.i18n import LANGUAGES

TRANSLATIONS = PROJECT_ROOT / "translations"
# as the Makefile's BABEL_KEYWORDS (`note`, `note_plural`: orders_app/history.py's history notes)
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "note": None, "note_plural": (1, 2)}
IGNORED_DIRS = (".*", "_*", "node_modules", "build", "var", "bench", "tests")  # as its --ignore-dirs


def catalog_path(locale: str, ext: str = "po") -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / f"messages.{ext}"


def extracted_messages() -> dict:
    """msgid (a string, or (singular, plural)) -> the first place it is used."""
    with (PROJECT_ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)

    def wanted(path: str) -> bool:
        return not any(fnmatch.fnmatch(os.path.basename(path), pattern) for pattern in IGNORED_DIRS)

    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        PROJECT_ROOT, method_map, options_map, keywords=KEYWORDS, directory_filter=wanted
    ):
        found.setdefault(message, f"{filename}:{lineno}")
    return found


def read_catalog(locale: str):
    with catalog_path(locale).open("rb") as po:
        return read_po(po, locale=locale)


def test_every_message_of_the_shop_has_a_portuguese_translation():
    catalog = read_catalog("pt_BR")
    problems = []
    for msgid, where in sorted(extracted_messages().items(), key=lambda pair: pair[1]):
        message = catalog.get(msgid[0] if isinstance(msgid, tuple) else msgid)
        strings = (message.string if isinstance(message.string, tuple) else (message.string,)) if message else ()
        if message is None:
            problems.append(f"{where}: not in the catalog: {msgid!r}")
        elif message.fuzzy or not all(strings):
            problems.append(f"{where}: {'fuzzy' if message.fuzzy else 'untranslated'}: {msgid!r}")
    assert not problems, (
        "Run `make translations` and translate these in translations/pt_BR/LC_MESSAGES/messages.po:\n"
        + "\n".join(problems)
    )


def test_every_translated_message_is_one_the_extraction_finds():
    """`make translations` drops what the extraction does not find (--ignore-obsolete): a text looked
    up where pybabel cannot read it (inside an f-string) would lose its translation at the next run."""
    found = {msgid[0] if isinstance(msgid, tuple) else msgid for msgid in extracted_messages()}
    unseen = sorted(message.id if isinstance(message.id, str) else message.id[0] for message in read_catalog("pt_BR"))
    unseen = [msgid for msgid in unseen if msgid and msgid not in found]
    assert not unseen, "In the catalog but not found by the extraction (an f-string? a dropped text?):\n" + "\n".join(
        unseen
    )


def test_translations_keep_every_placeholder_of_the_english_text():
    catalog = read_catalog("pt_BR")
    problems = [f"{message.id!r}: {error}" for message, errors in catalog.check() for error in errors]
    assert not problems, "\n".join(problems)


def test_the_compiled_catalog_is_up_to_date():
    """The apps read the compiled .mo: `make assets` (or `make translations`) builds it from the .po."""
    for locale in LANGUAGES:
        if locale == "en":
            continue  # English is the source text
        compiled = catalog_path(locale, "mo")
        assert compiled.exists(), f"{compiled} is missing: run `make assets`"
        with compiled.open("rb") as mo:
            built = _texts(read_mo(mo))
        source = _texts(m for m in read_catalog(locale) if not m.fuzzy)
        assert built == source, f"{compiled} is older than its .po: run `make assets`"


def _texts(messages) -> dict:
    def key(value):
        return tuple(value) if isinstance(value, list | tuple) else value

    return {key(m.id): key(m.string) for m in messages if m.id}
