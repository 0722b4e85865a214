"""Stripe's error shape, so the official SDK raises its own exception classes."""

from __future__ import annotations

from typing import Any


class StripeError(Exception):
    """An API error answered as `{"error": {...}}` with Stripe's status and fields.

    `replayable` errors are saved under the request's idempotency key like a success (Stripe
    saves the result once the endpoint has begun executing); parameter validation errors are not.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        replayable: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.code = code
        self.param = param
        self.replayable = replayable

    def body(self, request_id: str | None = None) -> dict[str, Any]:
        """The JSON body Stripe would send."""
        error: dict[str, Any] = {"message": self.message, "type": self.type}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        if request_id:
            error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
        return {"error": error}


def resource_missing(kind: str, obj_id: str, param: str) -> StripeError:
    """404 for an id that does not exist (the SDK raises InvalidRequestError)."""
    return StripeError(
        f"No such {kind}: '{obj_id}'", status=404, code="resource_missing", param=param
    )


def param_error(message: str, param: str, code: str = "parameter_invalid") -> StripeError:
    """400 for a bad or missing request parameter."""
    return StripeError(message, code=code, param=param)


def state_error(message: str, *, code: str | None = None, param: str | None = None) -> StripeError:
    """400 for a valid request the object's state does not allow (saved for idempotent replay)."""
    return StripeError(message, code=code, param=param, replayable=True)
