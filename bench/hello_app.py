"""A bare Flask hello world: the yardstick the shop's pages are measured against.

It answers every path, so the side stack's nginx can proxy to it through the very location block
the shop uses for an app (`/users/...`), and `/users/healthz` answers 200 for the readiness check.
The same process also serves TechEmpower's fortunes at `/users/fortunes` (bench/fortunes_app.py),
the peer of the rendered catalog page, under the same gunicorn settings and nginx location.
"""

import os

from flask import Flask

from bench import fortunes_app


def create_app() -> Flask:
    app = Flask(__name__, static_folder=None)

    @app.route("/", defaults={"path": ""})
    @app.route("/<path:path>")
    def hello(path: str) -> str:
        return "Hello, world!"

    fortunes_app.init_app(app, os.environ.get("SHOP_VAR_DIR", "var"), url_prefix="/users")
    return app
