"""The categories-and-pictures migration: up and down on SQLite without losing the search index."""

from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from inventory_app.extensions import db

PICTURES_REVISION = "54fb9660a612"


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
