"""Error pages in the shop's look, and the JSON error shape for /api/ paths."""

from flask import current_app, make_response, render_template
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

FRIENDLY = {
    400: "The request could not be understood.",
    403: "You do not have access to this page.",
    404: "There is nothing here. The link may be old, or the page is not yours to see.",
    405: "That action is not allowed here.",
    413: "What you sent is too large.",
    429: "Too many attempts. Please wait a moment and try again.",
    500: "Something went wrong on our side. Nothing was changed; please try again.",
    503: "A part of the shop is not answering. Please try again in a moment.",
}

CSRF_MESSAGE = "This form has expired or was sent from another site. Reload the page and try again."


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
    message = message or FRIENDLY.get(status, "Something went wrong.")
    if is_api_request():
        return ApiError(status, ERROR_CODES.get(status, "error"), message).to_response()
    template = "shared_ui/errors/fragment.html" if is_htmx_request() else "shared_ui/errors/page.html"
    return make_response(render_template(template, status=status, message=message), status)
