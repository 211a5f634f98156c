"""Institution API errors: a machine code and a plain-Chinese sentence, always JSON."""

from __future__ import annotations


class ApiError(Exception):
    """`retry_after` (seconds) becomes a Retry-After header: for 429, 503 and a request still in progress."""

    def __init__(self, status: int, error: str, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.retry_after = retry_after

    def as_dict(self) -> dict[str, str]:
        return {"error": self.error, "message": self.message}
