"""Categories: one per item, chosen or typed in the admin row; the catalog and the API filter by one."""

import re

from sqlalchemy import event

from inventory_app import categories, items, search
from inventory_app.extensions import db
from inventory_app.models import Item, utcnow
from tests.inventory_app.conftest import htmx
from tests.inventory_app.rows import edit
from tests.inventory_app.test_catalog import next_link

HX = {"HX-Request": "true"}


def names_in(html: str) -> list[str]:
    return re.findall(r'class="item-name"[^>]*>([^<]+)<', html)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_admin_types_a_category_in_the_row_and_picks_existing_ones_from_a_list(app, admin, make_item, stored):
    item_id = make_item("Blue Mug")
    other = make_item("Oak Bowl")
    assert edit(admin, item_id, category="  Kitchen   ware ").status_code == 200
    assert stored(item_id).category == "Kitchen ware"
    row = htmx(admin, "GET", f"/inventory/admin/items/{other}/edit").get_data(as_text=True)
    assert 'list="category-options"' in row and 'name="category"' in row
    page = admin.get("/inventory/admin/").get_data(as_text=True)
    assert '<datalist id="category-options"><option value="Kitchen ware"></option></datalist>' in page
    assert edit(admin, item_id, category="").status_code == 200
    assert stored(item_id).category is None
    too_long = edit(admin, item_id, category="x" * 61).get_data(as_text=True)
    assert f'id="item-{item_id}-category-error"' in too_long


def test_a_category_typed_in_another_case_joins_the_existing_one_instead_of_making_a_second(
    client, app, admin, admin_token, make_item, stored
):
    kitchen = make_item("Blue Mug")
    set_category(app, kitchen, "Kitchen")
    typed, posted = make_item("Oak Bowl"), make_item("Tea Pot")
    assert edit(admin, typed, category="  KITCHEN ").status_code == 200
    body = {"category": "kitchen"}
    assert client.patch(f"/inventory/api/items/{posted}", json=body, headers=bearer(admin_token)).status_code == 200
    new = {"name": "Pan", "price": "5.00", "quantity": 1, "category": "kitChen"}
    created = client.post("/inventory/api/items", json=new, headers=bearer(admin_token)).get_json()
    assert created["category"] == "Kitchen"
    assert [stored(i).category for i in (typed, posted)] == ["Kitchen", "Kitchen"]
    page = client.get("/inventory/").get_data(as_text=True)
    assert re.findall(r'class="category-link"[^>]*>([^<]+)</a>', page) == ["Kitchen"]
    kitchen_page = client.get("/inventory/?category=Kitchen").get_data(as_text=True)
    assert names_in(kitchen_page) == ["Blue Mug", "Oak Bowl", "Pan", "Tea Pot"]
    # an address or an API call that asks in another case finds it too (a link typed by hand, a client)
    assert names_in(client.get("/inventory/?category=kitchen").get_data(as_text=True)) == names_in(kitchen_page)
    listed = client.get("/inventory/api/items?category=KITCHEN").get_json()
    assert sorted(item["name"] for item in listed["items"]) == ["Blue Mug", "Oak Bowl", "Pan", "Tea Pot"]
    # the only item of a category may change its case: no other item spells it
    assert edit(admin, kitchen, category="Kitchen Ware").status_code == 200
    assert edit(admin, kitchen, category="kitchen ware").status_code == 200
    assert stored(kitchen).category == "kitchen ware"


def test_the_catalog_links_every_category_and_filters_by_one(client, app, make_item):
    for name, category in (("Blue Mug", "Kitchen"), ("Red Mug", "Kitchen"), ("Wool Socks", "Outdoors"), ("Pen", None)):
        item_id = make_item(name)
        if category:
            set_category(app, item_id, category)
    page = client.get("/inventory/").get_data(as_text=True)
    links = re.findall(r'<a href="(/inventory/\?category=[^"]+)"[^>]*class="category-link"[^>]*>([^<]+)</a>', page)
    assert [name for _url, name in links] == ["Kitchen", "Outdoors"]
    assert names_in(client.get("/inventory/?category=Kitchen").get_data(as_text=True)) == ["Blue Mug", "Red Mug"]
    kitchen = client.get("/inventory/?category=Kitchen").get_data(as_text=True)
    assert re.search(r'aria-current="page">Kitchen</a>', kitchen)
    assert names_in(client.get("/inventory/?category=Nothing").get_data(as_text=True)) == []


def test_the_catalog_links_the_categories_in_a_readers_order(client, app, admin, make_item):
    """Code point order put "Água" and "Óleos" after "Zebra" and "bebidas" after "Zebra" too."""
    made = (("Coco", "Água"), ("Zinc", "Zebra"), ("Suco", "bebidas"), ("Soja", "Óleos"), ("Pan", "Arroz"))
    for name, category in made:
        set_category(app, make_item(name), category)
    page = client.get("/inventory/").get_data(as_text=True)
    expected = ["Água", "Arroz", "bebidas", "Óleos", "Zebra"]
    assert re.findall(r'class="category-link"[^>]*>([^<]+)</a>', page) == expected
    offered = admin.get("/inventory/admin/").get_data(as_text=True)  # the row's list of existing categories
    assert re.findall(r'<option value="([^"]+)"', offered.split("</datalist>")[0].split("<datalist")[-1]) == expected


def test_a_category_past_the_linked_ones_is_reached_from_its_items(client, app, make_item, monkeypatch):
    """The catalog links the first CATEGORIES_MAX categories: one past them was reached only by typing
    its address. Each item's category links its category, and the category shown is in the links."""
    monkeypatch.setattr(categories, "CATEGORIES_MAX", 2)
    monkeypatch.setattr(categories.listed, "__defaults__", (2,))
    for name, category in (("Apron", "Aprons"), ("Bowl", "Bowls"), ("Tea Pot", "Tea & Coffee")):
        set_category(app, make_item(name), category)
    page = client.get("/inventory/").get_data(as_text=True)
    assert re.findall(r'class="category-link"[^>]*>([^<]+)</a>', page) == ["Aprons", "Bowls"]
    tea = re.search(r'<a href="([^"]+)" class="item-category[^"]*">Tea &amp; Coffee</a>', page)
    assert tea, "the item's category is a link"
    shown = client.get(tea.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert names_in(shown) == ["Tea Pot"]
    assert re.findall(r'class="category-link"[^>]*>([^<]+)</a>', shown) == ["Aprons", "Bowls", "Tea &amp; Coffee"]
    assert re.search(r'aria-current="page">Tea &amp; Coffee</a>', shown)
    unknown = client.get("/inventory/?category=Nothing").get_data(as_text=True)  # no link for what no item has
    assert re.findall(r'class="category-link"[^>]*>([^<]+)</a>', unknown) == ["Aprons", "Bowls"]


def test_an_empty_category_view_says_what_is_empty_not_that_the_whole_shop_is(client, app, make_item):
    set_category(app, make_item("Blue Mug", quantity=0), "Kitchen")
    set_category(app, make_item("Wool Socks", quantity=5), "Outdoors")

    def empty_state(url):
        return re.search(r'<p class="empty-state">([^<]*)</p>', client.get(url).get_data(as_text=True)).group(1)

    assert empty_state("/inventory/?category=Kitchen&available=1") == "Nothing in “Kitchen” is in stock right now."
    assert empty_state("/inventory/?category=Kitchen&q=socks") == "No items in “Kitchen” match “socks”."
    assert empty_state("/inventory/?category=Kitchen&q=socks&available=1") == (
        "No items in “Kitchen” match “socks” in stock."
    )
    assert empty_state("/inventory/?category=Kitchen&q=zzz") == "No items in “Kitchen” match “zzz”."
    assert empty_state("/inventory/?q=zzz") == "No items match “zzz”."
    assert empty_state("/inventory/?category=Garden") == "Nothing in “Garden” right now."


def set_category(app, item_id, category):
    with app.app_context():
        items.update_item(item_id, {"category": category}, actor="test")


def test_category_search_and_available_only_combine_and_the_url_reloads_the_same_view(client, app, make_item):
    for name, category, quantity in (
        ("Blue Mug", "Kitchen", 3),
        ("Blue Pan", "Kitchen", 0),
        ("Blue Sock", "Outdoors", 3),
        ("Red Mug", "Kitchen", 3),
    ):
        set_category(app, make_item(name, quantity=quantity), category)
    url = "/inventory/?q=blue&category=Kitchen"
    assert names_in(client.get(url).get_data(as_text=True)) == ["Blue Pan", "Blue Mug"]  # a search: newest first
    assert names_in(client.get(url + "&available=1").get_data(as_text=True)) == ["Blue Mug"]
    fragment = client.get(url, headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and fragment.lstrip().startswith('<div id="catalog-results">')
    # The search form keeps the category through a hidden field tied to it.
    assert '<input type="hidden" name="category" value="Kitchen" form="catalog-search-form">' in fragment
    # The category links keep the search and the availability filter.
    assert 'href="/inventory/?q=blue&amp;available=1&amp;category=Outdoors"' in client.get(
        url + "&available=1"
    ).get_data(as_text=True)


def test_category_pages_page_by_keyset_without_repeating_or_skipping(client, app, make_item):
    app.config["CATALOG_PAGE_SIZE"] = 2
    names = [f"Item {n:02d}" for n in range(7)]
    for n, name in enumerate(names):
        set_category(app, make_item(name), "Even" if n % 2 == 0 else "Odd")
    html = client.get("/inventory/?category=Even").get_data(as_text=True)
    seen = names_in(html)
    while match := re.search(r'<tr id="load-more">\s*<td colspan="\d">\s*<a href="([^"]+)"', html):
        assert "category=Even" in match.group(1)
        html = client.get(match.group(1).replace("&amp;", "&"), headers=HX).get_data(as_text=True)
        seen += names_in(html)
    assert seen == names[::2]


def test_a_next_page_without_javascript_still_links_the_categories(client, app, make_item):
    app.config["CATALOG_PAGE_SIZE"] = 2
    for n, name in enumerate(("Item 0", "Item 1", "Item 2", "Item 3")):
        set_category(app, make_item(name), "Even" if n % 2 == 0 else "Odd")
    first = client.get("/inventory/").get_data(as_text=True)
    link = next_link(first)
    second = client.get(link).get_data(as_text=True)  # a whole page: the link followed without htmx
    assert names_in(second) == ["Item 2", "Item 3"]
    assert re.findall(r'class="category-link"[^>]*>([^<]+)</a>', second) == ["Even", "Odd"]
    assert re.search(r'aria-current="page">All categories</a>', second)
    more = client.get(link, headers=HX).get_data(as_text=True)  # with htmx only the rows, as before
    assert names_in(more) == ["Item 2", "Item 3"] and "category-link" not in more


def test_the_list_of_categories_skips_along_the_index_and_ignores_archived_items(app, make_item):
    for n in range(30):
        set_category(app, make_item(f"Thing {n}"), f"Cat {n % 4}")
    archived = make_item("Old")
    set_category(app, archived, "Gone")
    with app.app_context():
        db.session.get(Item, archived).archived_at = utcnow()
        db.session.commit()
        assert categories.listed() == ["Cat 0", "Cat 1", "Cat 2", "Cat 3"]
        assert categories.listed(limit=2) == ["Cat 0", "Cat 1"]


def test_api_gives_and_filters_categories(client, app, admin_token, make_item):
    set_category(app, make_item("Blue Mug"), "Kitchen")
    make_item("Pen")
    listed = client.get("/inventory/api/items?category=Kitchen").get_json()
    assert [i["name"] for i in listed["items"]] == ["Blue Mug"] and listed["total"] == 1
    assert listed["items"][0]["category"] == "Kitchen"
    pen = client.get("/inventory/api/items?q=pen").get_json()["items"][0]
    changed = client.patch(
        f"/inventory/api/items/{pen['id']}", json={"category": "Office"}, headers=bearer(admin_token)
    )
    assert changed.status_code == 200 and changed.get_json()["category"] == "Office"
    cleared = client.patch(f"/inventory/api/items/{pen['id']}", json={"category": None}, headers=bearer(admin_token))
    assert cleared.get_json()["category"] is None
    wrong = client.patch(f"/inventory/api/items/{pen['id']}", json={"category": 5}, headers=bearer(admin_token))
    assert wrong.status_code == 422 and wrong.get_json()["error"]["field"] == "category"


def test_a_category_page_and_the_category_list_walk_the_index_and_count_nothing(app, make_item):
    for n in range(40):
        set_category(app, make_item(f"Lamp {n:02d}", quantity=n % 3), f"Cat {n % 5}")
    statements = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", remember)
        try:
            items_, after = search.catalog_page("", True, None, 4, "Cat 2")
            assert len(items_) == 4 and after is not None
            assert categories.listed() == [f"Cat {n}" for n in range(5)]
        finally:
            event.remove(db.engine, "before_cursor_execute", remember)
        assert not any("count(" in s.lower() for s, _ in statements)
        plans = []
        for statement, parameters in statements:
            if "min(category)" in statement or "inventory.category = " in statement:
                rows = db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
                plans.append(" / ".join(row[3] for row in rows))
    assert len(plans) == 2 and all("ix_inventory_live_category" in plan for plan in plans), plans
    assert not any("TEMP B-TREE" in plan or "SCAN inventory " in plan + " " for plan in plans), plans


def test_a_category_is_escaped_everywhere_it_is_shown(app, client, admin, make_item):
    item_id = make_item("Mug")
    set_category(app, item_id, '<script>alert("x")</script>')
    for page in (
        client.get("/inventory/").get_data(as_text=True),
        admin.get("/inventory/admin/").get_data(as_text=True),
        client.get(f"/inventory/items/{item_id}").get_data(as_text=True),
    ):
        assert "<script>alert" not in page and "&lt;script&gt;alert" in page


def page_and_list_reads(app, client, path: str) -> tuple[str, int]:
    """The catalog page at `path`, and how many times rendering it read the list of categories."""
    reads = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        reads.extend(["list"] if "WITH RECURSIVE found" in statement else [])

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", remember)
    try:
        return client.get(path).get_data(as_text=True), len(reads)
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", remember)


def test_a_category_page_past_the_linked_ones_reads_the_list_of_categories_once(client, app, make_item, monkeypatch):
    """The page of a category past the ones linked read the list three times (the category asked for
    among the first SPELLINGS_MAX, the links, then the first SPELLINGS_MAX again for the one shown):
    each read is an index probe per category, up to a thousand. It is read once, for the links; the
    category is looked up in it only when asked for in a spelling no item has ("tea & coffee")."""
    monkeypatch.setattr(categories, "CATEGORIES_MAX", 2)
    monkeypatch.setattr(categories.listed, "__defaults__", (2,))
    for name, category in (("Apron", "Aprons"), ("Bowl", "Bowls"), ("Tea Pot", "Tea & Coffee")):
        set_category(app, make_item(name), category)
    for path, reads in (("/inventory/?category=Tea+%26+Coffee", 1), ("/inventory/?category=tea+%26+coffee", 2)):
        page, read = page_and_list_reads(app, client, path)
        assert names_in(page) == ["Tea Pot"]
        assert re.findall(r'class="category-link"[^>]*>([^<]+)</a>', page) == ["Aprons", "Bowls", "Tea &amp; Coffee"]
        assert read == reads, path
