"""Passkeys (the phone's own fingerprint or face unlock) through the `webauthn` library: the options the page
passes to the browser, and the checks of what the browser answers. The challenge lives in her session for
one use. The relying party is settings.WEBAUTHN_RP_ID, or the request's host when that is empty; the
expected origin is the request's own scheme and host (docs/architecture.md, "Trusted phones and step-up")."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from webauthn import (
    base64url_to_bytes,
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from accounts.models import Passkey, User

_REGISTER_KEY = "passkey_register_challenge"
_ASSERT_KEY = "passkey_assert_challenge"


class PasskeyError(Exception):
    pass


def rp_id(request: HttpRequest) -> str:
    return settings.WEBAUTHN_RP_ID or request.get_host().rsplit(":", 1)[0]


def _origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def registration_options(request: HttpRequest, user: User) -> str:
    options = generate_registration_options(
        rp_id=rp_id(request), rp_name="医保通",
        user_id=user.public_id.bytes, user_name=user.masked_phone, user_display_name=user.masked_name,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED, user_verification=UserVerificationRequirement.REQUIRED),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id))
                             for p in user.passkeys.all()],
    )
    request.session[_REGISTER_KEY] = bytes_to_base64url(options.challenge)
    return options_to_json(options)


def verify_registration(request: HttpRequest, credential: dict[str, Any]) -> tuple[str, bytes, int]:
    """(credential id, public key, sign count) of a new passkey, or PasskeyError."""
    challenge = request.session.pop(_REGISTER_KEY, None)
    if not challenge:
        raise PasskeyError("no challenge")
    try:
        verified = verify_registration_response(
            credential=json.dumps(credential), expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp_id(request), expected_origin=_origin(request), require_user_verification=True)
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise PasskeyError(str(exc)) from None
    return bytes_to_base64url(verified.credential_id), verified.credential_public_key, verified.sign_count


def authentication_options(request: HttpRequest, user: User) -> str:
    options = generate_authentication_options(
        rp_id=rp_id(request), user_verification=UserVerificationRequirement.REQUIRED,
        allow_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id))
                           for p in user.passkeys.all()],
    )
    request.session[_ASSERT_KEY] = bytes_to_base64url(options.challenge)
    return options_to_json(options)


def verify_authentication(request: HttpRequest, user: User, credential: dict[str, Any]) -> tuple[Passkey, int]:
    """Her passkey that signed the challenge and its new sign count, or PasskeyError."""
    challenge = request.session.pop(_ASSERT_KEY, None)
    if not challenge or not isinstance(credential, dict):
        raise PasskeyError("no challenge")
    passkey = user.passkeys.filter(credential_id=str(credential.get("id", ""))).first()
    if passkey is None:
        raise PasskeyError("not hers")
    try:
        verified = verify_authentication_response(
            credential=json.dumps(credential), expected_challenge=base64url_to_bytes(challenge),
            expected_rp_id=rp_id(request), expected_origin=_origin(request),
            credential_public_key=bytes(passkey.public_key), credential_current_sign_count=passkey.sign_count,
            require_user_verification=True)
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise PasskeyError(str(exc)) from None
    return passkey, verified.new_sign_count
