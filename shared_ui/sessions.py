"""The shared session's cookie: Flask's signed cookie, with its serializer made once.

Flask builds a new URLSafeTimedSerializer (keys, salt, signer options) at every request that opens
or saves the session: 12.5 µs each time (timeit), on every request of every app. The serializer
holds no state of a request, so one per set of keys does the same work.

A visitor's empty session that nothing changed (most page views of anyone not logged in) is saved
without Flask's seven cookie settings read and werkzeug's parse and rewrite of `Vary`: there is
nothing to set or delete, only `Vary: Cookie` to add when the session was read.
"""

from flask.sessions import SecureCookieSessionInterface

from shared_ui.requests_kind import vary_on


class SharedSessionInterface(SecureCookieSessionInterface):
    """Flask's SecureCookieSessionInterface with the signing serializer kept per secret key(s)."""

    def __init__(self) -> None:
        self._serializers: dict = {}

    def get_signing_serializer(self, app):
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = self._serializers[keys] = super().get_signing_serializer(app)
        return serializer

    def save_session(self, app, session, response) -> None:
        if not session and not session.modified:
            if session.accessed:
                vary_on(response, "Cookie")
            return
        super().save_session(app, session, response)
