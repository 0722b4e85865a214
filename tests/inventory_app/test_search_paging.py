"""Paging through a catalog search: newest first, every match once, full pages, nothing archived.

A search pages on the item id (newest first) so the full-text index can stop at the page instead
of reading and sorting every match; these tests hold it to what a shopper notices: every matching
item is reachable with "More items", none shows twice, pages are full while matches remain (even
when a long run of archived or sold-out matches has to be skipped), archived items never show,
"available only" hides sold-out items. Each runs on the FTS5 index and on the LIKE fallback.
"""

import random
import re

import pytest
from sqlalchemy import event, update

from inventory_app import search
from inventory_app.extensions import db
from inventory_app.models import Item, utcnow

HX = {"HX-Request": "true"}


@pytest.fixture(params=["fts5", "like"])
def index(request, monkeypatch):
    """Run the test on SQLite's full-text index and again on the LIKE fallback."""
    if request.param == "like":
        monkeypatch.setattr(search, "full_text_index", lambda: None)
    return request.param


@pytest.fixture
def archive(app):
    """Archive items the way deleting an item that orders refer to does (the row stays, hidden)."""

    def _archive(*item_ids):
        with app.app_context():
            db.session.execute(update(Item).where(Item.id.in_(item_ids)).values(archived_at=utcnow()))
            db.session.commit()

    return _archive


def ids_in(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'<tr id="catalog-item-(\d+)"', html)]


def next_link(html: str) -> str | None:
    match = re.search(r'<tr id="load-more">\s*<td colspan="\d">\s*<a href="([^"]+)"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def pages_of(client, path: str) -> list[list[int]]:
    """The item ids of each page a shopper sees: the page, then "More items" until there is none."""
    html = client.get(path).get_data(as_text=True)
    pages, link = [ids_in(html)], next_link(html)
    while link:
        assert len(pages) < 100, "paging does not end"
        html = client.get(link, headers=HX).get_data(as_text=True)
        assert "<html" not in html
        pages.append(ids_in(html))
        link = next_link(html)
    return pages


def flat(pages: list[list[int]]) -> list[int]:
    return [item_id for page in pages for item_id in page]


def test_a_search_walks_every_live_match_once_newest_first_in_full_pages(app, client, make_item, archive, index):
    app.config["CATALOG_PAGE_SIZE"] = 3
    lamps = [make_item(f"Oak Lamp {n:02d}", quantity=n % 3) for n in range(14)]
    make_item("Steel Kettle")  # newest, but no match
    archive(lamps[3], lamps[9], lamps[13])
    live = [item_id for item_id in reversed(lamps) if item_id not in (lamps[3], lamps[9], lamps[13])]

    pages = pages_of(client, "/inventory/?q=lamp")
    assert flat(pages) == live
    assert [len(page) for page in pages] == [3, 3, 3, 2]


def test_available_only_fills_each_page_past_long_runs_of_sold_out_and_archived_matches(
    app, client, make_item, archive, index
):
    app.config["CATALOG_PAGE_SIZE"] = 3
    older = [make_item(f"Oak Lamp A{n}", quantity=5) for n in range(4)]
    skipped = [make_item(f"Oak Lamp B{n}", quantity=0) for n in range(5)]
    hidden = [make_item(f"Oak Lamp C{n}", quantity=5) for n in range(4)]
    newer = [make_item(f"Oak Lamp D{n}", quantity=5) for n in range(4)]
    archive(*hidden)
    in_stock = newer[::-1] + older[::-1]  # 9 sold-out or archived matches lie between the two halves

    pages = pages_of(client, "/inventory/?q=oak+la&available=1")
    assert flat(pages) == in_stock
    assert [len(page) for page in pages] == [3, 3, 2]
    everything = flat(pages_of(client, "/inventory/?q=oak+la"))
    assert everything == newer[::-1] + skipped[::-1] + older[::-1]


def test_changes_while_paging_never_repeat_an_item_nor_skip_one_that_stays(app, client, make_item, archive, index):
    app.config["CATALOG_PAGE_SIZE"] = 4
    mugs = [make_item(f"Blue Mug {n:02d}") for n in range(10)]
    first = client.get("/inventory/?q=blue+mug").get_data(as_text=True)
    shown = ids_in(first)
    assert shown == mugs[::-1][:4]

    added = make_item("Blue Mug new")  # newer than every page: a new search shows it first
    archive(shown[1], mugs[2])  # one already shown, one not shown yet
    app.config["CATALOG_PAGE_SIZE"] = 3  # the next pages may even be of another size
    link = next_link(first)
    while link:
        assert len(shown) <= 20, "paging does not end"
        html = client.get(link, headers=HX).get_data(as_text=True)
        shown += ids_in(html)
        link = next_link(html)

    assert len(shown) == len(set(shown))
    assert mugs[2] not in shown and added not in shown
    assert set(shown) == set(mugs) - {mugs[2]}
    assert ids_in(client.get("/inventory/?q=blue+mug").get_data(as_text=True))[0] == added


def test_browsing_without_words_stays_in_name_order_while_a_search_is_newest_first(app, client, make_item, index):
    app.config["CATALOG_PAGE_SIZE"] = 2
    zebra, apple, mango = make_item("Zebra Mug"), make_item("Apple Mug"), make_item("Mango Mug")
    assert flat(pages_of(client, "/inventory/")) == [apple, mango, zebra]
    assert flat(pages_of(client, "/inventory/?q=mug")) == [mango, apple, zebra]


WORDS = ["oak", "elm", "birch", "mug", "lamp", "stool", "tray"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_search_pages_through_exactly_its_live_matches(app, make_item, archive, index, seed):
    """Random shelves and searches: the pages, joined, are the live matches newest first, each once."""
    rng = random.Random(seed)
    catalog = {}
    for n in range(120):
        name = " ".join(rng.sample(WORDS, 2)) + f" {n}"
        description = rng.choice(["", *WORDS])
        catalog[make_item(name, quantity=rng.choice([0, 0, 1, 7]), description=description)] = f"{name} {description}"
    archived = set(rng.sample(sorted(catalog), 30))
    archive(*archived)
    with app.app_context():
        in_stock = {item.id for item in db.session.scalars(db.select(Item).where(Item.quantity > 0))}

    for q in ["oak", "la", "mug oak", "st tr", "b", "elm birch lamp", "nothing"]:
        for available in (False, True):
            words = q.split()
            expected = [
                item_id
                for item_id in sorted(catalog, reverse=True)
                if item_id not in archived
                and (not available or item_id in in_stock)
                and all(any(word.startswith(term) for word in catalog[item_id].lower().split()) for term in words)
            ]
            size = rng.choice([1, 4, 9])
            with app.app_context():
                seen, pages, after = [], 0, None
                while True:
                    items, after = search.catalog_page(q, available, after, size)
                    seen += [item.id for item in items]
                    pages += 1
                    assert after is None or len(items) == size, "a page came back short while matches remain"
                    if after is None:
                        break
                    assert pages <= len(catalog), "paging does not end"
            assert seen == expected, (q, available, size)


def test_a_search_page_on_sqlite_reads_the_index_in_id_order_without_sorting_the_matches(app, make_item):
    """The cost of a search page grows with the page: no step that sorts every match."""
    for n in range(30):
        make_item(f"Oak Lamp {n}", quantity=n % 2)
    statements = []
    with app.app_context():

        def remember(conn, cursor, statement, parameters, context, executemany):
            statements.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", remember)
        try:
            items, after = search.catalog_page("oak la", True, None, 5)
        finally:
            event.remove(db.engine, "before_cursor_execute", remember)
        assert len(items) == 5 and after is not None
        statement, parameters = next(found for found in statements if "MATCH" in found[0])
        explained = db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        plan = " / ".join(row[3] for row in explained)
    assert "TEMP B-TREE" not in plan, plan
    assert plan.startswith("SCAN inventory_fts VIRTUAL TABLE"), plan
