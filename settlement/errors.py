"""Institution API errors: a machine code and a plain-Chinese sentence, always JSON."""

from __future__ import annotations


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message

    def as_dict(self) -> dict[str, str]:
        return {"error": self.error, "message": self.message}
