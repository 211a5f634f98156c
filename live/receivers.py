"""Ending a browser session closes its open sockets (docs/architecture.md, "Live updates").

Two ways a session ends that we can hear: a sign-out (`user_logged_out`, whatever the session engine) and
the row of a database session being deleted (a flush, a sign-in as someone else in the same browser,
`clearsessions`, an admin removing it). An expiry nobody deletes is caught by the consumer's check of
the session before each message."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from live.publish import close_session_sockets


@receiver(user_logged_out, dispatch_uid="live-close-sockets-on-sign-out")
def close_sockets_on_sign_out(sender, request, user, **kwargs) -> None:
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        _close_on_commit(session_key)


@receiver(post_delete, sender="sessions.Session", dispatch_uid="live-close-sockets-of-deleted-session")
def close_sockets_of_deleted_session(sender, instance, **kwargs) -> None:
    _close_on_commit(instance.session_key)


def _close_on_commit(session_key: str) -> None:
    transaction.on_commit(lambda: close_session_sockets(session_key))
