"""The categories-and-pictures migration: up and down on SQLite without losing the search index."""

import re
from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from inventory_app.extensions import db

PICTURES_REVISION = "54fb9660a612"
ONE_SPELLING_REVISION = "7e3a9c1d5b20"


def triggers() -> set[str]:
    rows = db.session.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).all()
    db.session.commit()  # no read transaction left open across the migration's own connection
    return {row[0] for row in rows}


def test_down_and_up_again_keeps_the_full_text_triggers_and_the_search(app, client, make_item):
    make_item("Copper Kettle")
    directory = str(Path(app.root_path) / "migrations")
    with app.app_context():
        before = triggers()
        assert {"inventory_fts_insert", "inventory_fts_update", "inventory_fts_delete"} <= before
        downgrade(directory=directory, revision=f"{PICTURES_REVISION}-1")
        columns = {row[1] for row in db.session.execute(text("PRAGMA table_info(inventory)")).all()}
        db.session.commit()
        assert "category" not in columns and triggers() == before
        upgrade(directory=directory)
        assert triggers() == before
        db.session.remove()
    make_item("Copper Pan")
    html = client.get("/inventory/?q=copper").get_data(as_text=True)
    assert "Copper Kettle" in html and "Copper Pan" in html


def test_categories_stored_in_several_spellings_become_the_one_most_items_use(app, client, make_item):
    """Written before saving took another item's spelling: "Kitchen" (2 items), "kitchen" and "KITCHEN"
    (1 each) were three catalog links; "garden" and "Garden" (1 each) two."""
    spelled = {"Kitchen": 2, "kitchen": 1, "KITCHEN": 1, "garden": 1, "Garden": 1, "Books": 1}
    made = {}
    for category, count in spelled.items():
        made[category] = [make_item(f"{category} thing {n}") for n in range(count)]
    directory = str(Path(app.root_path) / "migrations")
    with app.app_context():
        downgrade(directory=directory, revision=ONE_SPELLING_REVISION + "-1")
        for category, ids in made.items():
            for item_id in ids:
                db.session.execute(
                    text("UPDATE inventory SET category = :c WHERE id = :i"), {"c": category, "i": item_id}
                )
        db.session.commit()
        upgrade(directory=directory)
        stored = dict(db.session.execute(text("SELECT category, count(*) FROM inventory GROUP BY category")).all())
        db.session.remove()
    assert stored == {"Kitchen": 4, "Garden": 2, "Books": 1}  # a tie: the spelling that sorts first
    page = client.get("/inventory/").get_data(as_text=True)
    assert re.findall(r'class="category-link"[^>]*>([^<]+)</a>', page) == ["Books", "Garden", "Kitchen"]
