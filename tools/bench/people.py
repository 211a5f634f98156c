"""Citizens for the benchmark, made in bulk: insured person, active voucher, user and a signed-in session.

Sessions are written straight into the session store, as a sign-in would leave them, so thousands of
sockets can connect without thousands of SMS sign-ins.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User
from core import crypto
from family.models import GrantStatus, ProxyGrant, Relationship
from insurance.demo import DEMO_API_KEY_ID, DEMO_API_SECRET, make_id_number
from insurance.identity import parse_id_number
from insurance.models import EnrollmentStatus, Institution, InsuredPerson, Scheme
from settlement.models import Settlement, SettlementEvent, SettlementItem, Status
from vouchers.models import Voucher, VoucherStatus

AUTH_BACKEND = "accounts.backends.PhonePasswordBackend"
REGION = "330100"  # the region of the demo institution, so every bill is in-region
FIRST_BIRTHDAY = dt.date(1930, 1, 1)  # older than every demo person: no ID number can clash with theirs
BATCH = 1000

# A small outpatient bill: two category-A items and one category-B item, 256.00 in all.
BILL = (
    ("ZB001", "阿莫西林胶囊", "A", Decimal("2"), Decimal("18.50")),
    ("ZB002", "血常规检查", "A", Decimal("1"), Decimal("25.00")),
    ("ZB003", "头孢克肟片", "B", Decimal("4"), Decimal("48.50")),
)
BILL_TOTAL = sum((q * p for _c, _n, _cat, q, p in BILL), Decimal("0"))


@dataclass(frozen=True)
class Citizen:
    index: int
    person_id: int
    user_id: int
    voucher_id: int
    voucher_public_id: uuid.UUID
    session_key: str


@dataclass(frozen=True)
class BenchInstitution:
    pk: int
    key_id: str
    secret: str
    name: str


def demo_institution() -> BenchInstitution:
    """The seeded demo hospital (tertiary, Hangzhou) and its API key."""
    inst = Institution.objects.get(api_key_id=DEMO_API_KEY_ID)
    return BenchInstitution(pk=inst.pk, key_id=DEMO_API_KEY_ID, secret=DEMO_API_SECRET, name=inst.name)


def bill_payload() -> list[dict]:
    return [{"code": c, "name": n, "category": cat, "quantity": str(q), "unit_price": str(p)}
            for c, n, cat, q, p in BILL]


def create_citizens(count: int, *, start: int = 0) -> list[Citizen]:
    """`count` signed-in citizens with active vouchers, in a handful of bulk inserts."""
    now = timezone.now()
    citizens: list[Citizen] = []
    for offset in range(0, count, BATCH):
        numbers = range(start + offset, start + min(count, offset + BATCH))
        with transaction.atomic():
            people = InsuredPerson.objects.bulk_create([_person(n) for n in numbers])
            vouchers = Voucher.objects.bulk_create([
                Voucher(person=p, status=VoucherStatus.ACTIVE, activated_at=now) for p in people])
            users = User.objects.bulk_create([
                User(phone=p.phone, phone_index=p.phone_index, person=p, role=Role.CITIZEN,
                     password=make_password(None), date_joined=now) for p in people])
            keys = [_session_key() for _ in users]
            Session.objects.bulk_create([
                Session(session_key=key, session_data=_session_data(user),
                        expire_date=now + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE))
                for key, user in zip(keys, users, strict=True)])
        citizens += [
            Citizen(index=n, person_id=p.pk, user_id=u.pk, voucher_id=v.pk, voucher_public_id=v.public_id,
                    session_key=k)
            for n, p, v, u, k in zip(numbers, people, vouchers, users, keys, strict=True)
        ]
    return citizens


def _person(n: int) -> InsuredPerson:
    # make_id_number keeps serial % 100, so each block of 100 gets its own birthday: all unique.
    birth = FIRST_BIRTHDAY + dt.timedelta(days=n // 100)
    id_number = make_id_number(REGION, birth, n, n % 2 == 0)
    parsed = parse_id_number(id_number)
    phone = f"+86199{n:08d}"
    return InsuredPerson(
        name=f"压测{n}", id_number=parsed.value, id_index=crypto.blind_index("id", parsed.value), phone=phone,
        phone_index=crypto.blind_index("phone", phone), gender=parsed.gender, birth_date=parsed.birth_date,
        scheme=Scheme.EMPLOYEE, region_code=REGION, status=EnrollmentStatus.ENROLLED,
        enrolled_since=dt.date(1990, 1, 1), account_balance=Decimal("100000.00"), household_id=f"BENCH-{n}",
    )


def _session_key() -> str:
    return get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")


def _session_data(user: User) -> str:
    """What django.contrib.auth.login leaves in the session."""
    return SessionStore().encode({
        "_auth_user_id": str(user.pk),
        "_auth_user_backend": AUTH_BACKEND,
        "_auth_user_hash": user.get_session_auth_hash(),
    })


def create_presettled(citizens: list[Citizen], institution: BenchInstitution) -> list[tuple[int, str]]:
    """One pre-settled bill per citizen, ready for `finalize_settlement`. Returns (id, public id) pairs,
    in the order of `citizens`."""
    split = {"fund_pay": Decimal("160.00"), "account_pay": Decimal("96.00"), "self_pay": Decimal("0.00")}
    assert sum(split.values()) == BILL_TOTAL
    created: list[Settlement] = []
    for offset in range(0, len(citizens), BATCH):
        chunk = citizens[offset:offset + BATCH]
        with transaction.atomic():
            rows = Settlement.objects.bulk_create([
                Settlement(institution_id=institution.pk, person_id=c.person_id, voucher_id=c.voucher_id,
                           code_nonce=uuid.uuid4().hex, visit_type="outpatient", status=Status.PRESETTLED,
                           total=BILL_TOTAL, **split)
                for c in chunk])
            SettlementItem.objects.bulk_create([
                SettlementItem(settlement=s, code=code, name=name, category=cat, quantity=q, unit_price=p,
                               amount=q * p)
                for s in rows for code, name, cat, q, p in BILL])
        created += rows
    return [(s.pk, str(s.public_id)) for s in created]


def mark_settled(settlement_id: int) -> None:
    """The final state change of a pre-settled bill, as the worker writes it (status, time, event), without
    the booking: the push measurement times what happens after the commit. Call inside a transaction."""
    now = timezone.now()
    Settlement.objects.filter(pk=settlement_id, status=Status.PRESETTLED).update(
        status=Status.SETTLED, booked=True, finished_at=now, updated_at=now)
    SettlementEvent.objects.create(settlement_id=settlement_id, status=Status.SETTLED, detail={"bench": True})


def statuses_of(public_ids: list[str]) -> dict[str, int]:
    """How many of these settlements are in each status in the database now: a final fragment that never
    reached her page is told apart from a settlement the worker never finished."""
    found: dict[str, int] = {}
    for status in Settlement.objects.filter(public_id__in=public_ids).values_list("status", flat=True):
        found[status] = found.get(status, 0) + 1
    missing = len(public_ids) - sum(found.values())
    if missing:
        found["not in the database"] = missing
    return found


# Socket indexes: a citizen's own is her index; her son's is WATCHER_BASE + hers; the counter's is COUNTER_INDEX.
WATCHER_BASE = 10_000_000
COUNTER_INDEX = -1


@dataclass(frozen=True)
class Watcher:
    """A son with view_settlements on one citizen, signed in: his page follows her settlements."""
    index: int
    principal_index: int
    session_key: str


def create_watchers(citizens: list[Citizen], every: int) -> list[Watcher]:
    """A son for every `every`-th citizen (none with 0), each with an active view_settlements grant."""
    chosen = citizens[::every] if every else []
    now = timezone.now()
    watchers: list[Watcher] = []
    for offset in range(0, len(chosen), BATCH):
        chunk = chosen[offset:offset + BATCH]
        with transaction.atomic():
            sons = User.objects.bulk_create([
                User(phone=f"+86198{c.index:08d}", phone_index=crypto.blind_index("phone", f"+86198{c.index:08d}"),
                     role=Role.CITIZEN, password=make_password(None), date_joined=now) for c in chunk])
            ProxyGrant.objects.bulk_create([
                ProxyGrant(principal_id=c.person_id, proxy=son, relationship=Relationship.CHILD,
                           scopes=["view_settlements"], requested_scopes=["view_settlements"],
                           status=GrantStatus.ACTIVE, consented_at=now, expires_at=now + dt.timedelta(days=365))
                for c, son in zip(chunk, sons, strict=True)])
            keys = [_session_key() for _ in sons]
            Session.objects.bulk_create([
                Session(session_key=key, session_data=_session_data(son),
                        expire_date=now + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE))
                for key, son in zip(keys, sons, strict=True)])
        watchers += [Watcher(WATCHER_BASE + c.index, c.index, key) for c, key in zip(chunk, keys, strict=True)]
    return watchers


def create_counter_session(institution: BenchInstitution) -> str:
    """A counter operator of the institution past the TOTP step: the session his counter page's socket holds.
    Settlements that come in through the API name no operator, so his counter hears every one of them."""
    with transaction.atomic():
        operator = User.objects.create(phone="+8619700000001", phone_index=crypto.blind_index("phone", "+8619700000001"),
                                       role=Role.OPERATOR, institution_id=institution.pk, password=make_password(None))
        device = TOTPDevice.objects.create(user=operator, name="bench", confirmed=True)
        key = _session_key()
        data = SessionStore().encode({
            "_auth_user_id": str(operator.pk), "_auth_user_backend": AUTH_BACKEND,
            "_auth_user_hash": operator.get_session_auth_hash(), DEVICE_ID_SESSION_KEY: device.persistent_id})
        Session.objects.create(session_key=key, session_data=data,
                               expire_date=timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE))
    return key
