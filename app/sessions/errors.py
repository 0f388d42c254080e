"""What can go wrong in a session, each with the HTTP status the API answers."""

from __future__ import annotations


class SessionError(Exception):
    """Base: ``status`` is the HTTP status; ``retry_after`` (seconds) goes into Retry-After."""

    status = 400
    retry_after: int | None = None


class NotFound(SessionError):
    status = 404


class Unauthorized(SessionError):
    status = 401


class Forbidden(SessionError):
    status = 403


class Conflict(SessionError):
    status = 409


class Unreadable(SessionError):
    """An answer the exercise cannot read (422)."""

    status = 422


class TooMany(SessionError):
    """A limit or rate limit (429)."""

    status = 429

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
