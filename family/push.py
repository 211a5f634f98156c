"""Taking a principal's live data away from a proxy's open sockets, at once."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from settlement.push import user_group

log = logging.getLogger(__name__)


def push_access_revoked(proxy_user_id: int, person_id: int) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(user_group(proxy_user_id), {"type": "access.revoked", "person_id": person_id})
    except Exception:  # the per-message check in the consumer still stops the flow
        log.warning("revoke push to user %s failed", proxy_user_id, exc_info=True)


def push_notice(user_ids: list[int], template: str, context: dict) -> None:
    """A one-off fragment to every open page of these users (e.g. 请家人帮我)."""
    from django.template.loader import render_to_string
    from django.utils import translation

    layer = get_channel_layer()
    if layer is None or not user_ids:
        return
    html = {}
    for lang in ("zh-hans", "en"):
        with translation.override(lang):
            html[lang] = render_to_string(template, context)
    for user_id in user_ids:
        try:
            async_to_sync(layer.group_send)(user_group(user_id), {"type": "notice.show", "html": html})
        except Exception:
            log.warning("notice push to user %s failed", user_id, exc_info=True)
