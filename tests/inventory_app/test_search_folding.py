"""Which accents a search ignores, the same on both databases: those of every Latin letter Unicode
decomposes ("gdansk" finds "Gdańsk", "ha noi" "Hà Nội"), as SQLite's FTS5 index does; PostgreSQL's
index is built on search.py's written-out table (ACCENTED), which must stay what its newest migration
made the index with, what FTS5 folds, and what Unicode says (so a drift is noticed). The sort keys
fold every one of those letters as the search does. PostgreSQL runs the same searches in
test_name_order_postgres.py."""

import importlib.util
import sqlite3
import unicodedata
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from inventory_app import search
from inventory_app.models import name_key
from tests.inventory_app.test_catalog import names_in

MIGRATIONS = Path(search.__file__).parent / "migrations"

#: names in Latin letters past Latin-1, and what searching them finds, newest first (on both databases)
LATIN = ["Pierogi z Gdańska", "Győr salami", "Şişli simit", "Brânză din Timișoara", "Phở Hà Nội", "Čevapi", "Łódź"]
LATIN_SEARCHES = [
    ("gdanska", ["Pierogi z Gdańska"]),
    ("GYOR", ["Győr salami"]),
    ("sisli", ["Şişli simit"]),
    ("branza timisoara", ["Brânză din Timișoara"]),
    ("pho ha noi", ["Phở Hà Nội"]),
    ("cevapi", ["Čevapi"]),
    ("ČEVAPI", ["Čevapi"]),
    # "ł" is not an "l" with an accent to Unicode: neither database folds it (name_key does, to sort)
    ("łodz", ["Łódź"]),
    ("lodz", []),
]

#: names with letters Unicode spells out ("ß" as "ss", the ligature "ﬁ" as "fi"), and what searching finds
SPELLED_OUT = ["Straße sign", "STRASSENKARTE Berlin", "Strasse map", "ﬁsh knife", "Fish sauce", "Waﬄe iron"]
SPELLED_OUT += ["Waffle maker"]
SPELLED_OUT_SEARCHES = [
    ("straße", ["Strasse map", "STRASSENKARTE Berlin", "Straße sign"]),
    ("STRAẞE", ["Strasse map", "STRASSENKARTE Berlin", "Straße sign"]),
    ("ﬁsh", ["Fish sauce", "ﬁsh knife"]),
    ("waﬄe", ["Waffle maker", "Waﬄe iron"]),
    # only the words searched are spelled out, not the names indexed
    ("strasse", ["Strasse map", "STRASSENKARTE Berlin"]),
    ("fish", ["Fish sauce"]),
]


@pytest.mark.parametrize(("q", "found"), LATIN_SEARCHES)
def test_a_search_ignores_the_accents_of_every_latin_letter(client, make_item, q, found):
    for name in LATIN:
        make_item(name, description="")
    assert names_in(client.get("/inventory/", query_string={"q": q}).get_data(as_text=True)) == found


@pytest.mark.parametrize(("q", "found"), SPELLED_OUT_SEARCHES)
def test_a_word_searched_with_a_letter_unicode_spells_out_also_finds_it_spelled_out(client, make_item, q, found):
    """"straße" found no "Strasse", "ﬁsh" no "Fish" (on both databases)."""
    for name in SPELLED_OUT:
        make_item(name, description="")
    assert names_in(client.get("/inventory/", query_string={"q": q}).get_data(as_text=True)) == found


def test_words_are_spelled_out_as_unicode_and_the_sort_keys_spell_them():
    """Every Latin letter whose compatibility decomposition, without case, is two ASCII letters or more."""
    expected = {}
    for letter in map(chr, range(0x80, 0x110000)):
        if letter.isalpha() and unicodedata.name(letter, "").startswith("LATIN"):
            spelled = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", letter).casefold())
            spelled = "".join(c for c in spelled if not unicodedata.combining(c))
            if len(spelled) >= 2 and spelled.isascii() and spelled.isalpha():
                expected[letter] = spelled
    assert {chr(code): spelled for code, spelled in search.SPELLED_OUT.items()} == expected
    assert {letter: name_key(letter) for letter in expected} == expected


def table() -> dict[str, str]:
    """search.py's table, letter by letter."""
    assert len(search.ACCENTED) == len(search.UNACCENTED) == len(set(search.ACCENTED))
    return dict(zip(search.ACCENTED, search.UNACCENTED, strict=True))


def newest_migration(holding: str):
    """The newest of inventory_app's migrations whose text holds `holding`, as a module."""
    for revision in ScriptDirectory(str(MIGRATIONS)).walk_revisions():
        if holding in Path(revision.path).read_text():
            spec = importlib.util.spec_from_file_location(f"migration_{revision.revision}", revision.path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
    raise AssertionError(f"no migration holds {holding!r}")


def test_the_table_is_the_one_the_newest_migration_built_the_index_with():
    """The query names the index's expression word for word, or PostgreSQL reads every row instead."""
    migration = newest_migration("CREATE INDEX ix_inventory_search")
    assert (migration.ACCENTED, migration.UNACCENTED) == (search.ACCENTED, search.UNACCENTED)
    made = migration.SEARCH_INDEX.format(
        migration.KEPT + migration.ACCENTED + migration.JOINERS,
        migration.KEPT + migration.UNACCENTED + " " * len(migration.JOINERS),
    )
    assert search.PG_DOCUMENT.replace("inventory.", "") in made


def unicode_rule(letter: str) -> str | None:
    base = "".join(c for c in unicodedata.normalize("NFD", letter) if not unicodedata.combining(c))
    return base if len(base) == 1 and base.isascii() and base.isalpha() and base != letter else None


def test_the_table_is_what_unicode_says_today():
    """Every letter Unicode decomposes into an ASCII letter and accents, and FTS5's two turns (the long s
    folded, "Ǡ" and "ǡ" kept). A new letter in a newer Unicode fails here: it needs a migration."""
    expected = {letter: base for letter in map(chr, range(0x80, 0x110000)) if (base := unicode_rule(letter))}
    expected |= {"\u017f": "s", "\u1e9b": "s"}
    del expected["Ǡ"], expected["ǡ"]
    assert table() == expected


def test_the_table_is_what_sqlites_index_folds():
    """FTS5's tokenizer, as the first migration sets it up, on every letter: each it turns into an ASCII
    letter is in the table with that letter (a newer SQLite folding more fails here)."""
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE f USING fts5(t, tokenize='unicode61 remove_diacritics 2')")
    connection.execute("CREATE VIRTUAL TABLE terms USING fts5vocab(f, 'instance')")
    letters = [letter for letter in map(chr, range(0x80, 0x30000)) if letter.isalpha()]
    connection.executemany("INSERT INTO f(rowid, t) VALUES (?, ?)", [(ord(letter), letter) for letter in letters])
    folded = {chr(rowid): term for rowid, term in connection.execute("SELECT doc, term FROM terms")}
    connection.close()
    assert {letter: term for letter, term in folded.items() if term.isascii()} == {
        letter: base.lower() for letter, base in table().items()
    }


def test_names_sort_by_the_letters_a_search_finds_them_by():
    """"Gdańsk" sorts among the "gdansk"s a search finds it with, for every letter of the table."""
    assert {letter: name_key(letter) for letter in search.ACCENTED} == {
        letter: base.lower() for letter, base in table().items()
    }
