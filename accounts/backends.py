"""Password sign-in for helpers, operators and staff, by phone number."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from accounts.models import User
from core import crypto
from insurance.identity import InvalidIdentifier, normalize_mobile


def phone_index_for(raw: str | None) -> str | None:
    try:
        return crypto.blind_index("phone", normalize_mobile(raw or ""))
    except InvalidIdentifier:
        return None


def axes_username(request, credentials: dict | None) -> str:
    """The username axes counts and stores: the phone's keyed index, so no phone lands in its tables.

    Axes also calls this without credentials (its async middleware builds the lockout page with
    ``credentials=None``); the typed number is then read from the form, as the worker sign-in posts it.
    """
    raw = (credentials or {}).get("username")
    if raw is None and request is not None:
        data = getattr(request, "POST", None) or {}
        raw = data.get("phone") or data.get("username")
    return phone_index_for(raw if isinstance(raw, str) else None) or "invalid"


class PhonePasswordBackend(ModelBackend):
    def get_user(self, user_id):
        """The signed-in user of each request, with her person and e-voucher in the same query: nearly every
        page reads the person (whom the request is about) and her code pages the voucher (docs/scale.md)."""
        try:
            user = User._default_manager.select_related("person__voucher").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def authenticate(self, request, username: str | None = None, password: str | None = None, **kwargs):
        index = phone_index_for(username)
        if index is None or password is None:
            return None
        user = User.objects.filter(phone_index=index).first()
        if user is None:
            User().set_password(password)  # same work as a real check, so timing says nothing
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
