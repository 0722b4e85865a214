"""A bare Flask hello world: the yardstick the shop's pages are measured against.

It answers every path, so the side stack's nginx can proxy to it through the very location block
the shop uses for an app (`/users/...`), and `/users/healthz` answers 200 for the readiness check.
"""

from flask import Flask


def create_app() -> Flask:
    app = Flask(__name__, static_folder=None)

    @app.route("/", defaults={"path": ""})
    @app.route("/<path:path>")
    def hello(path: str) -> str:
        return "Hello, world!"

    return app
