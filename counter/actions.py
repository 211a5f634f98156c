"""The counter's state changes: a counter browser enrolled as one of its institution's offline terminals.

Registering and revoking a terminal is staff work in the admin (settlement/admin.py, settlement/actions.py):
the terminal's key also signs the institution API's batch upload, which has nothing to do with a browser.
"""

from __future__ import annotations

import hmac
import secrets

from django.db import transaction
from django.utils.translation import gettext

from audit.actions import record_event
from audit.kinds import Kind
from audit.models import Via
from insurance.models import OfflineTerminal
from insurance.selectors import credential_by_key_id, terminal_token_hash


class TerminalRefused(Exception):
    """The key id or secret is wrong, or the terminal is another institution's or revoked."""

    status = 403
    error = "bad_terminal_credential"

    def __init__(self) -> None:
        self.message = gettext("终端密钥编号或密钥不对，或这台终端不属于您的机构、已停用。请核对医保局给的终端密钥。")
        super().__init__(self.message)


def enrol_terminal_browser(*, operator, key_id: str, secret: str) -> tuple[OfflineTerminal, str]:
    """The counter's browser proves it holds a terminal credential of the operator's institution and
    gets a cookie token in return (only its hash is kept). A new browser replaces the previous one."""
    key_id, secret = key_id.strip()[:40], secret.strip()[:200]
    credential = credential_by_key_id(key_id) if key_id.isascii() and key_id.isprintable() else None
    expected = credential.secret if credential else "unknown-terminal"
    matches = hmac.compare_digest(expected.encode(), secret.encode("utf-8", "surrogateescape"))
    if (credential is None or credential.terminal is None or not matches
            or credential.institution.pk != operator.institution_id):
        raise TerminalRefused
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        terminal = OfflineTerminal.objects.select_for_update().get(pk=credential.terminal.pk)
        if not terminal.is_active:
            raise TerminalRefused
        terminal.browser_token_hash = terminal_token_hash(token)
        terminal.save(update_fields=["browser_token_hash"])
        record_event(action=Kind.OFFLINE_BROWSER_ENROLLED, via=Via.INSTITUTION, actor=operator,
                     detail={"terminal": str(terminal.public_id)})
    return terminal, token
