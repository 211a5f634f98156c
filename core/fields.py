"""A model field that stores text encrypted; reading it gives the clear text back."""

from __future__ import annotations

from typing import Any

from django.db import models

from core import crypto


class EncryptedTextField(models.TextField):
    description = "Text encrypted at rest with AES-256-GCM"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value))
