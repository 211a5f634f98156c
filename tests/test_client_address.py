"""Behind the TLS proxy every part of the portal sees the citizen's own address, and without a proxy a
forged X-Forwarded-For changes nothing: audit rows, worker lockouts, code limits and voice limits."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.test import Client, RequestFactory
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import OneTimeCode, OutboundMessage, Role, User
from audit.models import AuditEvent
from core import crypto
from core.client_address import client_ip

CLIENT = "203.0.113.9"
OTHER_CLIENT = "198.51.100.23"
PROXY = "10.0.0.2"  # the TLS proxy as the app sees it (REMOTE_ADDR)


def through_proxy(forwarded_for: str) -> dict[str, str]:
    return {"HTTP_X_FORWARDED_FOR": forwarded_for, "REMOTE_ADDR": PROXY}


@pytest.mark.parametrize(("proxies", "forwarded_for", "expected"), [
    (1, CLIENT, CLIENT),  # one proxy appends the address it saw
    (1, f"6.6.6.6, {CLIENT}", CLIENT),  # the part the client wrote itself is never read
    (2, f"{CLIENT}, 10.0.0.3", CLIENT),  # two proxies: the outer one's entry
    (2, f"6.6.6.6, {CLIENT}, 10.0.0.3", CLIENT),
    (1, "", PROXY),  # not through the proxy (a health check on the inside): the socket address
    (2, CLIENT, PROXY),  # fewer entries than proxies: not trusted
    (1, "not-an-address", PROXY),
    (1, f"{CLIENT}:51234", CLIENT),
    (0, CLIENT, PROXY),  # no proxy configured: the header is anyone's to write
])
def test_the_client_address_is_the_entry_our_proxies_wrote(settings, proxies, forwarded_for, expected):
    settings.PROXY_COUNT = proxies
    request = RequestFactory().get("/", **through_proxy(forwarded_for))
    assert client_ip(request) == expected


def test_behind_the_proxy_her_audit_row_has_her_address(settings, mother_client, mother):
    settings.PROXY_COUNT = 1
    assert mother_client.get("/code/", **through_proxy(f"6.6.6.6, {CLIENT}")).status_code == 200
    assert AuditEvent.objects.filter(subject=mother, action="voucher.code_shown").get().ip_address == CLIENT


def test_without_a_proxy_a_forged_forwarded_for_is_ignored_in_her_audit_row(settings, mother_client, mother):
    settings.PROXY_COUNT = 0
    assert mother_client.get("/code/", HTTP_X_FORWARDED_FOR=CLIENT).status_code == 200
    assert AuditEvent.objects.filter(subject=mother, action="voucher.code_shown").get().ip_address == "127.0.0.1"


@pytest.fixture
def helper(db) -> User:
    user = User.objects.create_user("+8613600136004", "a-long-helper-password", role=Role.HELPER)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True, key="3132333435363738393031323334353637383930")
    return user


def test_behind_the_proxy_a_lockout_locks_the_guesser_not_everyone_behind_the_proxy(settings, helper):
    from axes.models import AccessAttempt

    settings.PROXY_COUNT = 1
    guesser = Client(**through_proxy(CLIENT))
    for _ in range(5):
        guesser.post("/accounts/worker/login/", {"phone": "13600136004", "password": "wrong-guess-1"})
    assert guesser.post("/accounts/worker/login/",
                        {"phone": "13600136004", "password": "a-long-helper-password"}).status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {CLIENT}
    # The real helper, at another address behind the same proxy, still signs in.
    real = Client(**through_proxy(OTHER_CLIENT))
    response = real.post("/accounts/worker/login/", {"phone": "13600136004", "password": "a-long-helper-password"})
    assert response.status_code == 302 and response.url == "/accounts/worker/totp/"


def test_without_a_proxy_a_forged_forwarded_for_does_not_escape_a_lockout(settings, helper):
    settings.PROXY_COUNT = 0
    for n in range(5):
        Client(HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").post(
            "/accounts/worker/login/", {"phone": "13600136004", "password": "wrong-guess-1"})
    again = Client(HTTP_X_FORWARDED_FOR="198.51.100.99").post(
        "/accounts/worker/login/", {"phone": "13600136004", "password": "a-long-helper-password"})
    assert again.status_code == 429


def test_behind_the_proxy_the_code_limit_counts_each_citizens_own_address(settings, db):
    settings.PROXY_COUNT = 1
    settings.OTP_MAX_PER_IP_PER_HOUR = 1
    first = Client(**through_proxy(CLIENT))
    first.post("/accounts/login/", {"phone": "13912345601", "action": "send_sms"})
    first.post("/accounts/login/", {"phone": "13912345602", "action": "send_sms"})  # over her address's limit
    Client(**through_proxy(OTHER_CLIENT)).post("/accounts/login/", {"phone": "13912345603", "action": "send_sms"})

    sent_to = {crypto.blind_index("phone", f"+86{n}") for n in ("13912345601", "13912345603")}
    assert set(OutboundMessage.objects.values_list("phone_index", flat=True)) == sent_to
    assert set(OneTimeCode.objects.values_list("ip_index", flat=True)) == {
        crypto.blind_index("ip", CLIENT), crypto.blind_index("ip", OTHER_CLIENT)}


def test_without_a_proxy_forged_addresses_share_one_code_limit(settings, db):
    settings.PROXY_COUNT = 0
    settings.OTP_MAX_PER_IP_PER_HOUR = 1
    Client(HTTP_X_FORWARDED_FOR=CLIENT).post("/accounts/login/", {"phone": "13912345601", "action": "send_sms"})
    Client(HTTP_X_FORWARDED_FOR=OTHER_CLIENT).post("/accounts/login/", {"phone": "13912345602", "action": "send_sms"})
    assert OutboundMessage.objects.count() == 1


def test_behind_the_proxy_the_voice_limit_is_per_listener(settings, db):
    settings.PROXY_COUNT = 1
    settings.VOICE_SAY_PER_MINUTE = 2
    url = f"/elder/voice/say?text={quote('医保支付85元，您自付15元')}"
    busy = Client(**through_proxy(CLIENT))
    assert [busy.get(url).status_code for _ in range(3)] == [200, 200, 429]
    assert Client(**through_proxy(OTHER_CLIENT)).get(url).status_code == 200
