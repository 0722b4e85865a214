"""TechEmpower's "fortunes" test in Flask: the peer the rendered catalog page is measured against.

The rules of the TechEmpower Framework Benchmarks' test type 4: every request reads all rows of the
`fortune` table through the ORM (Flask-SQLAlchemy, the shop's versions), adds one more in memory,
sorts them by message and renders them into an HTML table with a Jinja2 template, escaped by
Jinja's autoescaping (one message is a <script>, one is Japanese), as text/html; charset=utf-8.

In the benchmark it runs in the hello world's process (bench/hello_app.py) on the side stack, so it
has the same gunicorn settings and the same nginx location; its SQLite file is in the side stack's
var folder, written by `create_database` before gunicorn starts (no two workers racing to create it).
"""

from pathlib import Path

from flask import Blueprint, Flask, render_template
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# TechEmpower's twelve rows (toolset/databases/*/create*.sql), ids 1 to 12 in this order.
MESSAGES = [
    "fortune: No such file or directory",
    "A computer scientist is someone who fixes things that aren't broken.",
    "After enough decimal places, nobody gives a damn.",
    "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
    "A computer program does what you tell it to do, not what you want it to do.",
    "Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen",
    "Any program that runs right is obsolete.",
    "A list is only as strong as its weakest link. — Donald Knuth",
    "Feature: A bug with seniority.",
    "Computers make very fast, very accurate mistakes.",
    '<script>alert("This should not be displayed in a browser alert box.");</script>',
    "フレームワークのベンチマーク",
]
ADDED_AT_REQUEST_TIME = "Additional fortune added at request time."


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Fortune(db.Model):
    __tablename__ = "fortune"

    id: Mapped[int] = mapped_column(primary_key=True)
    message: Mapped[str] = mapped_column(String(2048))


bp = Blueprint("fortunes", __name__)


@bp.get("/fortunes")
def fortunes() -> str:
    """Every fortune and one added now, sorted by message, in an HTML table."""
    rows = list(db.session.scalars(select(Fortune)))
    rows.append(Fortune(id=0, message=ADDED_AT_REQUEST_TIME))  # not added to the session: never written
    rows.sort(key=lambda fortune: fortune.message)
    return render_template("fortunes.html", fortunes=rows)


def database_path(var_dir: str | Path) -> Path:
    return Path(var_dir) / "fortunes.sqlite3"


def init_app(app: Flask, var_dir: str | Path, url_prefix: str = "") -> None:
    """Serve `<url_prefix>/fortunes` from `app`, reading `var_dir`/fortunes.sqlite3."""
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{database_path(var_dir)}"
    db.init_app(app)
    app.register_blueprint(bp, url_prefix=url_prefix or None)


def create_database(var_dir: str | Path) -> Path:
    """The `fortune` table with its twelve rows in `var_dir` (idempotent: fixed ids, merged)."""
    app = Flask(__name__, static_folder=None)
    init_app(app, var_dir)
    with app.app_context():
        db.create_all()
        for number, message in enumerate(MESSAGES, start=1):
            db.session.merge(Fortune(id=number, message=message))
        db.session.commit()
    return database_path(var_dir)
