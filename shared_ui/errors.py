"""Error pages in the shop's look, and the JSON error shape for /api/ paths."""

from flask import current_app, make_response, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from shared_ui.api import ApiError
from shared_ui.requests_kind import is_api_request, is_htmx_request

ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "invalid_field",
    429: "too_many_requests",
    500: "internal_error",
    503: "service_unavailable",
}

# Lazy: each is translated into the language of the request that shows it.
FRIENDLY = {
    400: _l("The request could not be understood."),
    403: _l("You do not have access to this page."),
    404: _l("There is nothing here. The link may be old, or the page is not yours to see."),
    405: _l("That action is not allowed here."),
    413: _l("What you sent is too large."),
    429: _l("Too many attempts. Please wait a moment and try again."),
    500: _l("Something went wrong on our side. Nothing was changed; please try again."),
    503: _l("A part of the shop is not answering. Please try again in a moment."),
}
TITLES = {
    400: _l("Bad request"),
    401: _l("Please log in"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Not allowed"),
    409: _l("Conflict"),
    413: _l("Too large"),
    422: _l("Not valid"),
    429: _l("Slow down"),
    500: _l("Something went wrong"),
    503: _l("Temporarily unavailable"),
}

CSRF_MESSAGE = _l("This form has expired or was sent from another site. Reload the page and try again.")


def register_error_handlers(app) -> None:
    app.register_error_handler(ApiError, lambda error: error.to_response())
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)


def _csrf_error(error: CSRFError):
    return error_response(400, CSRF_MESSAGE)


def _http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    message = error.description if _has_own_description(error) else None
    response = error_response(error.code, message)
    for header, value in error.get_headers():
        if header.lower() in ("allow", "retry-after", "www-authenticate"):
            response.headers[header] = value
    return response


def _unexpected_error(error: Exception):
    if isinstance(error, HTTPException):
        return _http_error(error)
    current_app.logger.exception("unhandled error")
    return error_response(500, None)


def _has_own_description(error: HTTPException) -> bool:
    return error.description != type(error).description and not isinstance(error, InternalServerError)


def error_response(status: int, message: str | None):
    """The error as JSON for the API, as a small fragment for htmx, else as a full page."""
    message = str(message or FRIENDLY.get(status) or _l("Something went wrong."))
    if is_api_request():
        return ApiError(status, ERROR_CODES.get(status, "error"), message).to_response()
    template = "shared_ui/errors/fragment.html" if is_htmx_request() else "shared_ui/errors/page.html"
    title = str(TITLES.get(status) or _l("Error"))
    return make_response(render_template(template, status=status, message=message, title=title), status)
