"""Shared fixtures. The personas: 奶奶 (the mother, 82), her son (the proxy, far away), a stranger.

Every test database holds the demo reimbursement tables (insurance/demo.py, 252 rules), as every real
portal holds its policy tables: they are written once when the test database is migrated, not per test,
and again after each flush that follows a test which commits (`transactional_db`, the live servers),
because both end with Django's `post_migrate` signal (a test marked with `available_apps` or
`serialized_rollback` would skip that signal: none is). A test about a case without a rule deletes that
rule first, inside its own transaction.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import re
from decimal import Decimal

import pytest
from django.db.models.signals import post_migrate
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image

from accounts.models import OutboundMessage, Role, User
from insurance.demo import make_id_number, seed_policy_rules, seed_service_rules
from insurance.models import Institution, InstitutionLevel, InsuredPerson, Scheme
from services.uploads import CleanPhoto, clean_photo_bytes
from settlement.signing import signed_headers
from vouchers.actions import activate_voucher

_serial = itertools.count(30)


def _seed_policy_tables(sender, app_config, using: str, **kwargs) -> None:
    if app_config.label == "insurance":
        seed_policy_rules(using=using)
        seed_service_rules(using=using)


post_migrate.connect(_seed_policy_tables, dispatch_uid="conftest.seed_policy_tables")


@pytest.fixture
def rules() -> None:
    """Names a test's reliance on the reimbursement tables, which every test database already holds."""


@pytest.fixture(params=["now", "new_years_night"])
def today(request, time_machine) -> dt.date:
    """The portal's today (its time zone, as `timezone.localdate()` reads it), with the clock held still for
    the whole test, so that a test run across midnight on 31 December books and reads one day and one year.
    Each test that asks for it runs twice: now, and half an hour into the next New Year's Day in the portal's
    time zone, when a server clock on UTC still reads 31 December (a test taking its year from that clock
    fails there, not only on one night a year)."""
    moment = timezone.now()
    if request.param == "new_years_night":
        moment = dt.datetime(timezone.localdate().year + 1, 1, 1, 0, 30, tzinfo=timezone.get_current_timezone())
    time_machine.move_to(moment, tick=False)
    return timezone.localdate()


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield


def make_person(**overrides) -> InsuredPerson:
    n = next(_serial)
    birth = overrides.pop("birth_date", dt.date(1960, 5, 17))
    region = overrides.pop("region_code", "330100")
    values = {
        "name": "测试人",
        "id_number": make_id_number(region, birth, n, True),
        "phone": f"+86150{n:08d}",
        "gender": "M",
        "birth_date": birth,
        "scheme": Scheme.EMPLOYEE,
        "region_code": region,
        "enrolled_since": dt.date(2000, 1, 1),
        "account_balance": Decimal("1000.00"),
        "household_id": f"T-{n}",
    }
    values.update(overrides)
    return InsuredPerson.objects.create(**values)


def make_citizen(person: InsuredPerson, *, active: bool = True) -> User:
    user = User.objects.create_user(person.phone, person=person)
    if active:
        activate_voucher(person, actor=user)
    return user


@pytest.fixture
def mother(db) -> InsuredPerson:
    """奶奶: 王秀英, 82, has never signed in; her voucher is not yet active."""
    return make_person(
        name="王秀英", id_number="330100194403121123", phone="+8613800138001", gender="F",
        birth_date=dt.date(1944, 3, 12), household_id="HZ-0001", account_balance=Decimal("2380.50"),
    )


@pytest.fixture
def mother_user(mother) -> User:
    return make_citizen(mother)


@pytest.fixture
def son(db) -> User:
    person = make_person(name="李建国", id_number="310000197008051254", phone="+8613900139002",
                         birth_date=dt.date(1970, 8, 5), region_code="310000")
    return make_citizen(person)


@pytest.fixture
def stranger(db) -> User:
    person = make_person(name="赵大海", phone="+8613111112222")
    return make_citizen(person)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user, backend="accounts.backends.PhonePasswordBackend")
    return client


@pytest.fixture
def mother_client(mother_user) -> Client:
    return client_for(mother_user)


@pytest.fixture
def stranger_client(stranger) -> Client:
    return client_for(stranger)


# --- the community helper (张志强's stand-in) at a kiosk -------------------------------------------------

HELPER_PASSWORD = "a-long-helper-password"
WORKER_TOTP_KEY = "3132333435363738393031323334353637383930"  # hex, the key in the helper's authenticator


def worker_client(user: User, password: str = HELPER_PASSWORD, **client_options) -> Client:
    """A worker signed in the real way: phone + password, then the code from the authenticator."""
    client = Client(**client_options)
    client.post("/accounts/worker/login/", {"phone": user.phone[3:], "password": password})
    TOTPDevice.objects.filter(user=user).update(last_t=-1)  # the same 30-second code may be used again
    client.post("/accounts/worker/totp/", {"token": f"{totp(bytes.fromhex(WORKER_TOTP_KEY)):06d}"})
    assert client.session.get("otp_device_id"), "the worker did not pass TOTP"
    return client


@pytest.fixture
def helper(db) -> User:
    user = User.objects.create_user("+8613600136004", HELPER_PASSWORD, role=Role.HELPER, display_name="王志强")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True, key=WORKER_TOTP_KEY)
    return user


@pytest.fixture
def kiosk_client(helper) -> Client:
    """The helper's browser after "登记为帮办终端"."""
    client = worker_client(helper)
    client.post("/assist/kiosk/register/", {"name": "翠苑1号机", "location": "翠苑社区服务中心"})
    assert "kiosk" in client.cookies
    return client


def make_staff(phone: str = "+8613300133006", name: str = "赵敏") -> User:
    """Bureau staff (赵敏's stand-in), with the authenticator `worker_client` signs in with."""
    user = User.objects.create_user(phone, HELPER_PASSWORD, role=Role.STAFF, display_name=name, is_staff=True)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True, key=WORKER_TOTP_KEY)
    return user


def document_photo() -> CleanPhoto:
    """A phone photo of a paper (an invoice, a certificate), already cleaned as every upload is."""
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (210, 210, 200)).save(out, format="JPEG")
    return clean_photo_bytes(out.getvalue())


INSTITUTION_SECRET = "test-secret-0123456789abcdef"


@pytest.fixture
def institution(db) -> Institution:
    return Institution.objects.create(
        code="H0001", name="测试第一医院", level=InstitutionLevel.TERTIARY, region_code="330100",
        api_key_id="test-h1", api_secret=INSTITUTION_SECRET,
    )


class SignedApi:
    """Calls the institution API the way a counter does: signed, JSON."""

    def __init__(self, client: Client, key_id: str, secret: str) -> None:
        self.client, self.key_id, self.secret = client, key_id, secret

    def post(self, path: str, payload=None, *, raw: bytes | None = None, now: int | None = None, headers=None):
        body = raw if raw is not None else json.dumps(payload).encode()
        signed = signed_headers(self.key_id, self.secret, "POST", path, body, now=now)
        all_headers = {**signed, **(headers or {})}
        return self.client.post(path, data=body, content_type="application/json", headers=all_headers)

    def get(self, path: str, *, now: int | None = None):
        return self.client.get(path, headers=signed_headers(self.key_id, self.secret, "GET", path, b"", now=now))


@pytest.fixture
def api(institution) -> SignedApi:
    return SignedApi(Client(), institution.api_key_id, INSTITUTION_SECRET)


def latest_code_sent_to(phone: str) -> str:
    """Read the one-time code from the development outbox, as a person reads her SMS."""
    from core import crypto

    message = OutboundMessage.objects.filter(phone_index=crypto.blind_index("phone", phone)).first()
    assert message is not None, f"no message was sent to {phone}"
    digits = re.sub(r"[^0-9]", "", message.body)
    match = re.search(r"[0-9]{6}", digits)
    assert match, message.body
    return match.group(0)


class OfflineCounter:
    """A counter registered by staff as an offline terminal: its credential and a signed API with it."""

    def __init__(self, terminal, secret: str) -> None:
        self.terminal, self.secret = terminal, secret
        self.api = SignedApi(Client(), terminal.key_id, secret)


def register_offline_counter(institution: Institution, name: str = "收费窗口1") -> OfflineCounter:
    from accounts.models import Role
    from settlement.actions import register_offline_terminal

    staff = User.objects.filter(role=Role.STAFF).first() or User.objects.create_user(
        "+8613300133098", role=Role.STAFF, display_name="赵敏", is_staff=True)
    terminal, secret = register_offline_terminal(institution=institution, name=name, location="一楼", by=staff)
    return OfflineCounter(terminal, secret)


@pytest.fixture
def offline_counter(institution) -> OfflineCounter:
    return register_offline_counter(institution)


@pytest.fixture
def offline_api(offline_counter) -> SignedApi:
    """The institution API signed with the hospital's offline terminal's own key (for batch uploads)."""
    return offline_counter.api
