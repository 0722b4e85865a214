"""Finding items: the catalog's keyset pages, the admin table's pages, the API's counted pages.

Search is full-text with prefix terms: every word the shopper types must start a word of the name
or the description ("blue mu" finds "Blue Mug"). On SQLite it is FTS5 (the `inventory_fts` index
the first migration creates, kept in sync by triggers, with 2- and 3-letter prefix indexes for the
first keystrokes); on PostgreSQL a GIN index over `to_tsvector('simple', name || ' ' || description)`
with the accents of Latin letters (ACCENTED), and the dots and signs its parser would join words
with (JOINERS), taken away first (`translate`, PG_DOCUMENT), queried with
`to_tsquery('simple', 'blue:* & mu:*')`. Both ignore case and accents: "acucar" and "açúcar" find
"Açúcar", "gdansk" "Gdańsk" (the same letters on both: SQLite's tokenizer removes the accents of
every Latin letter Unicode decomposes, but not Greek's, and PostgreSQL's `translate` those of the
same letters; neither touches "ł" or "ø", which Unicode does not decompose). A word with "ß" or a
ligature is also looked for spelled out (SPELLED_OUT: "straße" finds "Strasse"). Either way the
index answers with the matching rows directly, so a search costs what its matches cost, not what
the table holds. Any other database falls back to case-insensitive LIKE on the same words (a scan).

The catalog's HTML pages are keyset pages: `?after=<cursor>` names the last item shown and the
next page starts right after it, so page 4,000 costs what page 1 costs and nothing ever counts the
whole table. Browsing (no search words) is in (name_key, id) order through the partial indexes on
live items: names sort without case and accents (models.name_key), the same on SQLite and
PostgreSQL. A search is newest first, in descending id order: on SQLite FTS5 hands out its matches in
rowid order and the page's query stops reading them once the page is full (also when archived or
sold-out matches have to be skipped to fill it), so a word that matches 7,000 of 100,000 items costs
what a page costs. Sorting the matches by name would mean reading and sorting all 7,000 of them.
The API's numbered pages stay in (name_key, id) order and count (DESIGN's list envelope has a total).
"""

import base64
import functools
import json
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import Select, and_, bindparam, func, literal_column, or_, select, table, text, tuple_
from sqlalchemy.orm import joinedload

from inventory_app import stock
from inventory_app.extensions import db
from inventory_app.items import possible_id
from inventory_app.models import Item, ItemImage, name_key
from shared_ui.api import storable

MAX_TERMS = 8
FTS = table("inventory_fts")
#: letters and digits: what both full-text tokenizers index as words (so never a query operator)
WORD = re.compile(r"[^\W_]+", re.UNICODE)


#: The accented Latin letters whose accents a search ignores, and their base letters: every letter that
#: Unicode decomposes into an ASCII letter and accents ("ç", "ő", "ș", "ộ"), which is what SQLite's FTS5
#: index (unicode61 remove_diacritics 2) folds, but for its own two turns: it folds the long s (U+017F,
#: U+1E9B) and keeps "Ǡ" and "ǡ", and so does this table (tests/inventory_app/test_search_folding.py
#: holds it to FTS5 and to Python's unicodedata). Not "ł", "ø" or "æ", which Unicode does not decompose
#: (FTS5 keeps them too; name_key spells them out for sorting). Written out, never worked out at import:
#: PostgreSQL's index is built on this very text (migration e2a6c8f1d3b7 spells the same), so a
#: Python with newer Unicode tables must not change the expression the queries name.
ACCENTED = (
    "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝà"  # Latin-1 Supplement
    "áâãäåçèéêëìíîïñòóôõöùúûüýÿ"
    "ĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨ"  # Latin Extended-A
    "ĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚ"
    "śŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžſ"
    "ƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃ"  # Latin Extended-B
    "ȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳ"
    "ḀḁḂḃḄḅḆḇḈḉḊḋḌḍḎḏḐḑḒḓḔḕḖḗḘḙḚḛḜḝḞḟḠḡḢḣḤḥḦḧḨḩḪḫḬḭḮḯḰ"  # Latin Extended Additional
    "ḱḲḳḴḵḶḷḸḹḺḻḼḽḾḿṀṁṂṃṄṅṆṇṈṉṊṋṌṍṎṏṐṑṒṓṔṕṖṗṘṙṚṛṜṝṞṟṠṡ"
    "ṢṣṤṥṦṧṨṩṪṫṬṭṮṯṰṱṲṳṴṵṶṷṸṹṺṻṼṽṾṿẀẁẂẃẄẅẆẇẈẉẊẋẌẍẎẏẐẑẒ"
    "ẓẔẕẖẗẘẙẛẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈ"
    "ỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹ"
    "KÅ"  # Letterlike Symbols (the Kelvin and Angstrom signs)
)
UNACCENTED = (
    "AAAAAACEEEEIIIINOOOOOUUUUYa"  # Latin-1 Supplement
    "aaaaaceeeeiiiinooooouuuuyy"
    "AaAaAaCcCcCcCcDdEeEeEeEeEeGgGgGgGgHhI"  # Latin Extended-A
    "iIiIiIiIJjKkLlLlLlNnNnNnOoOoOoRrRrRrS"
    "sSsSsSsTtTtUuUuUuUuUuUuWwYyYZzZzZzs"
    "OoUuAaIiOoUuUuUuUuUuAaGgKkOoOojGgNnAaAaAa"  # Latin Extended-B
    "EeEeIiIiOoOoRrRrUuUuSsTtHhAaEeOoOoOoOoYy"
    "AaBbBbBbCcDdDdDdDdDdEeEeEeEeEeFfGgHhHhHhHhHhIiIiK"  # Latin Extended Additional
    "kKkKkLlLlLlLlMmMmMmNnNnNnNnOoOoOoOoPpPpRrRrRrRrSs"
    "SsSsSsSsTtTtTtTtUuUuUuUuUuVvVvWwWwWwWwWwXxXxYyZzZ"
    "zZzhtwysAaAaAaAaAaAaAaAaAaAaAaAaEeEeEeEeEeEeEeEeI"
    "iIiOoOoOoOoOoOoOoOoOoOoOoOoUuUuUuUuUuUuUuYyYyYyYy"
    "KA"  # Letterlike Symbols (the Kelvin and Angstrom signs)
)
#: what PostgreSQL's `translate(..., ACCENTED, UNACCENTED)` does to the document, done to the search words
UNACCENT = str.maketrans(ACCENTED, UNACCENTED)

#: The Latin letters Unicode spells out as two ASCII letters or more, and their spellings ("ß" is "ss",
#: the ligature "ﬁ" is "fi"), as name_key spells them to sort. A word searched with one also looks
#: for the word spelled out (spellings): "straße" finds "Strasse" and "STRASSE" as well as "Straße",
#: "ﬁsh" finds "Fish". The indexes keep the text as written, so "strasse" does not find "Straße":
#: that would take a spelled-out copy of every name and description to index (a column of its own).
SPELLED_OUT = str.maketrans(
    {
        "ß": "ss", "ẞ": "ss", "Ĳ": "ij", "ĳ": "ij", "Ǆ": "dz", "ǅ": "dz", "ǆ": "dz", "Ǳ": "dz", "ǲ": "dz", "ǳ": "dz",
        "Ǉ": "lj", "ǈ": "lj", "ǉ": "lj", "Ǌ": "nj", "ǋ": "nj", "ǌ": "nj",
        "ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st",
    }
)  # fmt: skip

#: What PostgreSQL's text parser joins the words around into one token of another kind: "3.5mm" is
#: the number "3.5" and "mm", "USB 2.0" has "2.0", "-5" is a number, "shop.example.com" a host,
#: "a/b" a file. A search splits at them (WORD: "3", "5mm"), so no prefix of those tokens matched and
#: "2.0" found nothing; the document has them as spaces too (SQLite's tokenizer splits there already).
JOINERS = "./@-+<>&~"
#: The characters most names and descriptions are made of, kept as they are and listed first in
#: translate()'s list: PostgreSQL looks each character of the text up in that list one entry after
#: the other, so a letter found at the list's start costs a few comparisons where one missing from
#: it cost a walk past every accented letter (with the Latin letters of every block the index took
#: 7 times as long to build; with these first it takes what the Latin-1 list took).
KEPT = " eaosrnidmutclpvghqbfzjxkwyEAOSRNIDMUTCLPVGHQBFZJXKWY0123456789"
#: the expression PostgreSQL's GIN index `ix_inventory_search` is built on, word for word (its migration
#: e2a6c8f1d3b7 spells the same)
PG_DOCUMENT = (
    "to_tsvector('simple', translate(inventory.name || ' ' || inventory.description, "
    f"'{KEPT}{ACCENTED}{JOINERS}', '{KEPT}{UNACCENTED}{' ' * len(JOINERS)}'))"
)


@dataclass(frozen=True)
class Cursor:
    """Where a keyset page ends: the last item's name and id.

    The page continues after (name_key(name), id), the key computed from the name: a cursor made
    before names sorted by their key (a bookmarked "More items" address) continues from that item's
    place in today's order.
    """

    name: str
    id: int

    def encode(self) -> str:
        raw = json.dumps([self.name, self.id], ensure_ascii=False).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str | None) -> "Cursor | None":
        """The cursor, or None when `text` is empty or not one of ours (start from the top)."""
        if not text:
            return None
        try:
            name, item_id = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        except (ValueError, TypeError, RecursionError):  # RecursionError: a cursor nested deeper than json goes
            return None
        if not isinstance(name, str) or not isinstance(item_id, int) or isinstance(item_id, bool):
            return None
        if not storable(name):  # a NUL or a lone surrogate (JSON's "\ud800"): no name has one
            return None
        if not possible_id(item_id):  # a made-up id the database could not even compare
            return None
        return cls(name, item_id)


def full_text_index() -> str | None:
    """Which full-text index the migration created: "fts5" (SQLite), "tsvector" (PostgreSQL), or None."""
    return {"sqlite": "fts5", "postgresql": "tsvector"}.get(db.engine.dialect.name)


def search_terms(q: str) -> list[str]:
    """The words of a search, at most MAX_TERMS of them. Composed first: "água" typed as "a" and a
    combining accent (as some keyboards send it) is one word, not "a" and "gua"."""
    return WORD.findall(unicodedata.normalize("NFC", q or ""))[:MAX_TERMS]


def spellings(term: str) -> list[str]:
    """A word searched for, and the same word spelled out when it has a letter of SPELLED_OUT."""
    spelled = term.translate(SPELLED_OUT)
    return [term] if spelled == term else [term, spelled]


def fts5_match(terms: list[str]) -> str:
    """FTS5's query for these words: every word must start a word of the item, in either spelling."""
    return " ".join(_either([f'"{word}"*' for word in spellings(term)], " OR ") for term in terms)


def tsquery(terms: list[str]) -> str:
    """to_tsquery's text for these words, their accents taken away as the index's text has them."""
    return " & ".join(_either([f"{word.translate(UNACCENT)}:*" for word in spellings(term)], " | ") for term in terms)


def _either(words: list[str], operator: str) -> str:
    return words[0] if len(words) == 1 else f"({operator.join(words)})"


def live_items(query: Select, q: str = "", available: bool = False, category: str | None = None) -> Select:
    """`query` narrowed to live items, in stock only if `available`, in `category` if given,
    matching every word of `q`."""
    query = query.where(Item.archived_at.is_(None))
    if available:
        query = query.where(Item.quantity > 0)
    if category:
        query = query.where(Item.category == category)
    terms = search_terms(q)
    if not terms:
        return query
    index = full_text_index()
    if index == "fts5":
        matches = literal_column("inventory_fts").op("MATCH")(fts5_match(terms))
        matching = select(literal_column("rowid")).select_from(FTS).where(matches)
        return query.where(Item.id.in_(matching))
    if index == "tsvector":
        words = tsquery(terms)
        return query.where(text(f"{PG_DOCUMENT} @@ to_tsquery('simple', :words)").bindparams(words=words))
    for term in terms:
        query = query.where(
            or_(
                *(
                    column_.contains(word.lower(), autoescape=True)
                    for word in spellings(term)
                    for column_ in (func.lower(Item.name), func.lower(Item.description))
                )
            )
        )
    return query


def matching(q: str = "", available: bool = False, category: str | None = None):
    """The live items matching a search, as (id, name, name_key, price_cents, quantity) rows to page through.

    On PostgreSQL a search is a MATERIALIZED CTE: the GIN index finds the matches first, then
    they are sorted. Left to itself the planner may walk the name index instead and recompute
    the tsvector of every row until it fills a page, which takes a second for a rare word.
    Everywhere else it is a plain subquery the database flattens into the page's query.
    """
    columns = (Item.id, Item.name, Item.name_key, Item.price_cents, Item.quantity)
    query = live_items(select(*columns), q, available, category)
    if search_terms(q) and full_text_index() == "tsvector":
        return query.cte("matches").prefix_with("MATERIALIZED")
    return query.subquery("matches")


@dataclass(slots=True, unsafe_hash=True)
class ListedImage:
    """A catalog row's picture: what `pictures.shown` reads of an ItemImage."""

    hash: str
    alt: str | None
    width: int
    height: int


@dataclass(slots=True, unsafe_hash=True)
class ListedItem:
    """An item as a catalog row shows it, read with its picture in the page's one query.

    Plain values, not an ORM object: loading 24 Items and their pictures through the ORM cost more
    than the page's SQL and its template together (bench/NOTES.md, fifth round). Stock is read
    with the page, as before: nothing of it is kept between requests. (Not frozen: a frozen
    dataclass's __init__ sets each field through object.__setattr__, 2 µs a row.) Hashed on every
    field, so a rendered row is kept per what it shows (inventory_app/rows.py); nothing changes one
    once it is read.
    """

    id: int
    name: str
    description: str
    category: str | None
    price_cents: int
    quantity: int
    image: ListedImage | None


#: the tables' own columns, so the page's query runs as plain SQL on the session's connection: through
#: the ORM session its rows went through ORM result processing (half the query's 180 µs)
ITEMS, IMAGES = Item.__table__, ItemImage.__table__
LISTED = (
    ITEMS.c.id,
    ITEMS.c.name,
    ITEMS.c.description,
    ITEMS.c.category,
    ITEMS.c.price_cents,
    ITEMS.c.quantity,
    IMAGES.c.hash,
    IMAGES.c.alt,
    IMAGES.c.width,
    IMAGES.c.height,
)


def _listed(rows) -> list[ListedItem]:
    return [
        ListedItem(id_, name, description, category, price, quantity, ListedImage(*image) if image[0] else None)
        for id_, name, description, category, price, quantity, *image in rows
    ]


@functools.lru_cache(maxsize=64)
def _browse_statement(available: bool, in_category: bool, after: bool, limit: int) -> Select:
    """A browsing page (no search words) in (name_key, id) order with its pictures, built once per shape:
    constructing and keying the statement cost a third of its running time. The category and the
    cursor are bound parameters."""
    query = live_items(select(*LISTED).outerjoin(IMAGES, IMAGES.c.item_id == ITEMS.c.id), "", available)
    if in_category:
        query = query.where(ITEMS.c.category == bindparam("category", type_=ITEMS.c.category.type))
    if after:
        key = bindparam("after_key", type_=ITEMS.c.name_key.type)
        cursor = tuple_(key, bindparam("after_id", type_=ITEMS.c.id.type))
        query = query.where(tuple_(ITEMS.c.name_key, ITEMS.c.id) > cursor)
    return query.order_by(ITEMS.c.name_key, ITEMS.c.id).limit(limit)


def catalog_page(
    q: str, available: bool, after: Cursor | None, size: int, category: str | None = None
) -> tuple[list[ListedItem], Cursor | None]:
    """One keyset page of the catalog and the cursor of the next (None on the last page).

    Without search words the page is in (name_key, id) order and continues after the cursor's
    (name_key, id), read in one query with the pictures; with them it is newest first and continues
    below the cursor's id (its name is only carried along).
    """
    if search_terms(q):
        rows = newest_matches(q, available, after.id if after is not None else None, size + 1, category)
        items = _listed_by_id([row.id for row in rows[:size]])
    else:
        statement = _browse_statement(available, category is not None, after is not None, size + 1)
        parameters = {"category": category} if category is not None else {}
        if after is not None:
            parameters.update(after_key=name_key(after.name), after_id=after.id)
        rows = db.session.connection().execute(statement, parameters).all()
        items = _listed(rows[:size])
    return items, Cursor(rows[size - 1].name, rows[size - 1].id) if len(rows) > size else None


_LISTED_BY_ID = (
    select(*LISTED)
    .outerjoin(IMAGES, IMAGES.c.item_id == ITEMS.c.id)
    .where(ITEMS.c.id.in_(bindparam("ids", expanding=True)))
)


def _listed_by_id(ids: list[int]) -> list[ListedItem]:
    """The catalog rows of these items, in this order."""
    if not ids:
        return []
    by_id = {item.id: item for item in _listed(db.session.connection().execute(_LISTED_BY_ID, {"ids": ids}))}
    return [by_id[item_id] for item_id in ids if item_id in by_id]


def newest_matches(q: str, available: bool, before: int | None, limit: int, category: str | None = None) -> list:
    """Up to `limit` live items matching `q` (in stock if `available`) with ids below `before`,
    newest first, as (id, name) rows.

    SQLite: the FTS5 table drives the query. It yields the matching rowids in descending order
    (the `rowid <` bound and the order are handed to FTS5, no sorting step), each is looked up by
    primary key and dropped if archived or sold out, and reading stops at `limit` kept rows. So a
    page is always full while matches remain, however many of them have to be skipped, and the
    cost grows with the rows read to fill the page, not with all the matches.

    PostgreSQL: a GIN index cannot hand out its rows in id order, so the matches below the cursor
    are found through it first (a MATERIALIZED CTE: left to itself the planner may walk the
    primary key backwards instead, recomputing every row's tsvector until the page is full,
    which takes a second for a rare word) and only the `limit` newest are kept (a top-N sort,
    no sort of all matches). That costs what the matches below the cursor cost, never the table.
    """
    index = full_text_index()
    if index == "fts5":
        match = fts5_match(search_terms(q))
        rowid = literal_column("inventory_fts.rowid")
        query = (
            select(Item.id, Item.name)
            .select_from(FTS)
            .join(Item, Item.id == rowid)
            .where(literal_column("inventory_fts").op("MATCH")(match), Item.archived_at.is_(None))
        )
        if available:
            query = query.where(Item.quantity > 0)
        if category:
            query = query.where(Item.category == category)
        if before is not None:
            query = query.where(rowid < before)
        return db.session.execute(query.order_by(rowid.desc()).limit(limit)).all()
    query = live_items(select(Item.id, Item.name), q, available, category)
    if before is not None:
        query = query.where(Item.id < before)
    if index == "tsvector":
        found = query.cte("matches").prefix_with("MATERIALIZED")
        query = select(found.c.id, found.c.name).order_by(found.c.id.desc())
    else:
        query = query.order_by(Item.id.desc())
    return db.session.execute(query.limit(limit)).all()


def numbered_page(
    q: str, available: bool, page: int, per_page: int, category: str | None = None
) -> tuple[list[Item], int]:
    """The API's page `page` in (name_key, id) order, and how many items match in all."""
    found = matching(q, available, category)
    total = db.session.scalar(select(func.count()).select_from(found))
    query = select(found.c.id).order_by(found.c.name_key, found.c.id)
    return _items(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()), total


SORTS = {"name", "price", "quantity", "held"}


def admin_page(q: str, sort: str, descending: bool, page: int, size: int) -> tuple[list[Item], bool]:
    """One page of the admin table in the chosen column's order, and whether there are more."""
    found = matching(q)
    query = select(found.c.id)
    if sort == "held":
        held = stock.held_units()
        query = query.outerjoin(held, held.c.item_id == found.c.id)
        key = func.coalesce(held.c.units, 0)
    else:
        key = {"price": found.c.price_cents, "quantity": found.c.quantity}.get(sort, found.c.name_key)
    ties = [found.c.name_key, found.c.id] if sort in ("price", "quantity", "held") else [found.c.id]  # name order
    query = query.order_by(key.desc() if descending else key, *ties)
    ids = db.session.scalars(query.limit(size + 1).offset((page - 1) * size)).all()
    return _items(ids[:size]), len(ids) > size


def _items(ids: list[int]) -> list[Item]:
    """The items with these ids, in this order (with their pictures, joined in)."""
    query = select(Item).where(Item.id.in_(ids)).options(joinedload(Item.image))
    by_id = {item.id: item for item in db.session.scalars(query)} if ids else {}
    return [by_id[item_id] for item_id in ids if item_id in by_id]


def low_stock(threshold: int, limit: int = 20) -> list[Item]:
    """Live items with `threshold` units or fewer on hand, the emptiest first."""
    query = select(Item).where(and_(Item.archived_at.is_(None), Item.quantity <= threshold))
    return db.session.scalars(query.order_by(Item.quantity, Item.id).limit(limit)).all()
