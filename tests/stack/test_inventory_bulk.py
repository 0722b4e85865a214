"""A catalog of 100,000 items through nginx: search, filter and page as a new user and as an admin.

Its own small shop (nginx, users, inventory), so the 100,000 items never crowd other tests' pages.
"""

import re
import subprocess

import pytest

from shared_ui.config import PROJECT_ROOT
from stacktools.client import ShopClient
from stacktools.stack import ADMIN_LOGIN, ADMIN_PASSWORD, Stack

ITEMS = 100_000


@pytest.fixture(scope="module")
def big_shop():
    shop = Stack()
    try:
        shop.start("users", "inventory", "web")
        seeded = subprocess.run(
            ["flask", "--app", "inventory_app", "seed-bulk", str(ITEMS), "--seed", "11"],
            cwd=PROJECT_ROOT,
            env=shop.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert seeded.returncode == 0, seeded.stderr
    except BaseException:
        shop.close(keep_files=True)
        raise
    yield shop
    shop.close()


def names(html: str) -> list[str]:
    return re.findall(r'class="item-name">([^<]+)<', html)


def item_ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'<tr id="catalog-item-(\d+)"', html)]


def more_link(html: str) -> str | None:
    match = re.search(r'id="load-more">\s*<td colspan="\d">\s*<a href="([^"]+)"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def test_a_new_user_pages_through_a_search_of_100000_items(big_shop):
    visitor = ShopClient(big_shop.base_url)
    assert visitor.register().status_code == 303
    api = visitor.api("GET", "/inventory/api/items?q=walnut+kettle&per_page=100").json()
    expected = [item["name"] for item in api["items"]]
    assert api["total"] > 100 and all("Walnut Kettle" in name for name in expected)

    first = visitor.get("/inventory/?q=walnut+kett")
    assert first.status_code == 200 and "<html" in first.text
    seen, ids, link = names(first.text), item_ids(first.text), more_link(first.text)
    for _ in range(3):
        fragment = visitor.get(link, htmx=True).text
        assert "<html" not in fragment
        seen += names(fragment)
        ids += item_ids(fragment)
        link = more_link(fragment)
    # a search is newest first: the pages walk the matches in descending id order, each once, none skipped
    assert all("Walnut Kettle" in name for name in seen) and len(set(seen)) == len(seen) == 96
    every_match, page = [], 1
    while True:  # the API searches the same way (in name order): all of its matches, page by page
        listing = visitor.api("GET", f"/inventory/api/items?q=walnut+kett&per_page=100&page={page}").json()
        every_match += [item["id"] for item in listing["items"]]
        if not listing["items"] or len(every_match) >= listing["total"]:
            break
        page += 1
    assert ids == sorted(every_match, reverse=True)[:96]


def test_available_only_and_deep_pages_stay_consistent(big_shop):
    visitor = ShopClient(big_shop.base_url)
    in_stock = visitor.api("GET", "/inventory/api/items?available=1&per_page=100&page=3").json()
    assert 0 < in_stock["total"] < ITEMS and all(item["quantity"] > 0 for item in in_stock["items"])
    everything = visitor.api("GET", "/inventory/api/items?per_page=1").json()
    assert everything["total"] == ITEMS

    html = visitor.get("/inventory/?available=1").text
    assert "Out of stock" not in html
    link = more_link(html)
    for _ in range(20):  # twenty pages in, each page is still one keyset step
        html = visitor.get(link, htmx=True).text
        link = more_link(html)
    assert len(names(html)) == 24 and "Out of stock" not in html


def test_an_admin_finds_and_edits_an_item_among_100000(big_shop):
    admin = ShopClient(big_shop.base_url)
    admin.login(ADMIN_LOGIN, ADMIN_PASSWORD)
    target = admin.api("GET", "/inventory/api/items?q=054321").json()["items"][0]
    table = admin.get(f"/inventory/admin/?q={target['name'].split()[-1]}").text
    assert f'<tr id="item-{target["id"]}"' in table
    saved = admin.post(
        f"/inventory/admin/items/{target['id']}",
        {
            "name": target["name"],
            "description": target["description"],
            "price": "1.23",
            "quantity": str(target["quantity"]),
            "expected_quantity": str(target["quantity"]),
        },
        htmx=True,
    )
    assert "$1.23" in saved.text
    assert "$1.23" in admin.get(f"/inventory/?q={target['name'].split()[-1]}").text
    assert admin.get("/inventory/admin/?sort=price&dir=desc", htmx=True).status_code == 200
