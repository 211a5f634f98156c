"""A logging filter that masks ID numbers and phone numbers before any handler sees them."""

from __future__ import annotations

import logging

from core.masking import mask_identifiers_in_text


class MaskIdentifiersFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not hide the record
            message = str(record.msg)
        record.msg = mask_identifiers_in_text(message)
        record.args = ()
        if record.exc_text:
            record.exc_text = mask_identifiers_in_text(record.exc_text)
        return True
