"""One error shape for the whole product: RFC 9457 problem details.

Actions raise these; the web layer turns them into ``application/problem+json``.
"""

from __future__ import annotations

from typing import Any


class BalieError(Exception):
    status = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.data = data

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"https://balie.dev/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if instance:
            body["instance"] = instance
        body.update(self.data)
        return body


class InvalidInput(BalieError):
    status = 422
    code = "invalid_input"
    title = "Invalid input"


class NotAuthenticated(BalieError):
    status = 401
    code = "not_authenticated"
    title = "Not authenticated"


class Forbidden(BalieError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class NotFound(BalieError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(BalieError):
    status = 409
    code = "conflict"
    title = "Conflict"


class IllegalTransition(Conflict):
    code = "illegal_transition"
    title = "Illegal status change"


class TooLarge(BalieError):
    status = 413
    code = "too_large"
    title = "Request too large"


class UnsupportedType(BalieError):
    status = 415
    code = "unsupported_type"
    title = "Unsupported media type"


class InternalError(BalieError):
    status = 500
    code = "internal_error"
    title = "Internal error"


class TooManyRequests(BalieError):
    status = 429
    code = "too_many_requests"
    title = "Too many requests"


class CoachBlocked(BalieError):
    """The coach blocked a text (an insult); it is not stored unless an override allows it."""

    status = 422
    code = "coach_blocked"
    title = "Blocked by the reply coach"
