"""Bureau staff reach the admin only through the worker sign-in (password + authenticator code), with the
rights they need, and everything they change there is in the audit trail. Nothing typed at a sign-in
is kept in clear, in our tables or in third-party ones."""

from __future__ import annotations

from io import StringIO

import pytest
from django.db import connection
from django.test import AsyncClient, Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User
from audit.models import AuditEvent, Via
from insurance import demo
from insurance.policy import PolicyRule

TOTP_KEY = "3132333435363738393031323334353637383930"
STAFF_PHONE = "+8613300133006"
STAFF_TYPED = "13300133006"
PASSWORD = "a-long-staff-password"


def current_totp() -> str:
    return f"{totp(bytes.fromhex(TOTP_KEY), t0=0, step=30, digits=6):06d}"


@pytest.fixture
def staff(db) -> User:
    from portal.admin_site import sync_staff_group

    user = User.objects.create_user(STAFF_PHONE, PASSWORD, role=Role.STAFF, display_name="赵敏", is_staff=True)
    user.groups.add(sync_staff_group())
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True, key=TOTP_KEY)
    return user


@pytest.fixture
def rule(db) -> PolicyRule:
    """The table's rule for employees insured in Hangzhou at a tertiary hospital there (0.8, 300, 10000)."""
    return PolicyRule.objects.get(scheme="employee", region_code="330100", level="tertiary",
                                  visit_type="outpatient", locality="in_region", deductible="300",
                                  ratio="0.800", annual_cap="10000")


def sign_in_with_totp(client: Client, phone: str, password: str, next_url: str = "/admin/") -> str:
    response = client.post(f"/accounts/worker/login/?next={next_url}", {"phone": phone, "password": password})
    assert response.status_code == 302 and response.url == "/accounts/worker/totp/", response
    response = client.post("/accounts/worker/totp/", {"token": current_totp()})
    assert response.status_code == 302
    return response.url


def test_a_staff_phone_and_password_without_the_authenticator_code_never_reach_an_admin_page(client, staff, rule):
    client.post("/accounts/worker/login/?next=/admin/", {"phone": STAFF_TYPED, "password": PASSWORD})
    for page in ("/admin/", "/admin/insurance/policyrule/", f"/admin/insurance/policyrule/{rule.pk}/change/"):
        response = client.get(page, follow=True)
        assert response.redirect_chain, page
        assert response.redirect_chain[-1][0].startswith("/accounts/worker/login/"), response.redirect_chain
        assert "报销规则" not in response.content.decode()


def test_a_staff_session_without_the_authenticator_step_is_sent_to_the_worker_sign_in(staff):
    # Signed in some other way (no TOTP in this session): the admin still asks for the full worker sign-in.
    client = Client()
    client.force_login(staff, backend="accounts.backends.PhonePasswordBackend")
    response = client.get("/admin/insurance/policyrule/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/worker/login/?next=/admin/insurance/policyrule/"


def test_the_admins_own_password_form_is_gone_and_sends_staff_to_the_worker_sign_in(client, staff):
    response = client.get("/admin/login/?next=/admin/insurance/policyrule/")
    assert response.status_code == 302
    assert response.url == "/accounts/worker/login/?next=/admin/insurance/policyrule/"
    response = client.post("/admin/login/", {"username": STAFF_TYPED, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url.startswith("/accounts/worker/login/")
    assert "_auth_user_id" not in client.session
    # An address elsewhere is not followed.
    assert client.get("/admin/login/?next=https://evil.example/").url == "/accounts/worker/login/?next=/admin/"


def test_with_the_authenticator_code_staff_reach_the_admin_they_asked_for(client, staff):
    assert sign_in_with_totp(client, STAFF_TYPED, PASSWORD, "/admin/insurance/policyrule/") == \
        "/admin/insurance/policyrule/"
    response = client.get("/admin/insurance/policyrule/")
    assert response.status_code == 200
    assert "报销规则" in response.content.decode()


def test_six_wrong_passwords_lock_the_staff_sign_in_and_nothing_crashes(client, staff):
    statuses = []
    for _ in range(6):
        statuses.append(client.post("/accounts/worker/login/?next=/admin/",
                                    {"phone": STAFF_TYPED, "password": "wrong-password-123"}).status_code)
        statuses.append(client.post("/admin/login/", {"username": STAFF_TYPED, "password": "wrong"}).status_code)
    assert 500 not in statuses
    locked = client.post("/accounts/worker/login/?next=/admin/", {"phone": STAFF_TYPED, "password": PASSWORD})
    assert locked.status_code == 429
    assert "锁定" in locked.content.decode()
    assert client.get("/admin/").status_code == 302


def test_the_lockout_page_under_asgi_is_a_locked_page_not_a_server_error(staff):
    # make run and production serve through ASGI, where axes builds its lockout page without credentials.
    from asgiref.sync import async_to_sync

    async def six_wrong_then_the_right_one() -> tuple[list[int], str]:
        client = AsyncClient()
        statuses = [(await client.post("/accounts/worker/login/", {"phone": STAFF_TYPED, "password": "wrong-pass-1"}))
                    .status_code for _ in range(6)]
        right = await client.post("/accounts/worker/login/", {"phone": STAFF_TYPED, "password": PASSWORD})
        return statuses, right.content.decode()

    statuses, page = async_to_sync(six_wrong_then_the_right_one)()
    assert 500 not in statuses
    assert statuses[-1] == 429
    assert "锁定" in page


def test_a_change_made_in_the_admin_is_in_the_audit_trail(client, staff, rule):
    sign_in_with_totp(client, STAFF_TYPED, PASSWORD)
    response = client.post(f"/admin/insurance/policyrule/{rule.pk}/change/", {
        "scheme": "employee", "region_code": "330100", "level": "tertiary", "visit_type": "outpatient",
        "locality": "in_region", "deductible": "300", "ratio": "0.850", "annual_cap": "10000",
        "b_self_share": "0.100", "_save": "1"})
    assert response.status_code == 302, response.content.decode()[:2000]
    rule.refresh_from_db()
    assert str(rule.ratio) == "0.850"
    event = AuditEvent.objects.get(action="admin.changed")
    assert event.via == Via.STAFF
    assert event.actor == staff
    assert event.detail["model"] == "insurance.policyrule"
    assert event.detail["object_id"] == str(rule.pk)
    assert "0.85" not in str(event.detail)  # which fields changed, not what they now hold
    assert event.ip_address == "127.0.0.1"


def test_adding_and_deleting_in_the_admin_are_in_the_audit_trail_too(client, staff, rule):
    sign_in_with_totp(client, STAFF_TYPED, PASSWORD)
    response = client.post("/admin/insurance/policyrule/", {
        "action": "delete_selected", "_selected_action": [str(rule.pk)], "post": "yes"})
    assert response.status_code == 302
    assert not PolicyRule.objects.filter(pk=rule.pk).exists()
    assert AuditEvent.objects.filter(action="admin.deleted", actor=staff,
                                     detail__object_id=str(rule.pk)).count() == 1
    response = client.post("/admin/insurance/institution/add/", {
        "code": "H99", "name": "新开的社区医院", "level": "primary", "region_code": "330100",
        "api_key_id": "new-h99", "is_active": "on", "_save": "1"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert AuditEvent.objects.filter(action="admin.added", actor=staff,
                                     detail__model="insurance.institution").count() == 1
    from insurance.models import Institution

    assert len(Institution.objects.get(code="H99").api_secret) >= 32  # never an empty secret


def test_a_change_to_her_account_in_the_admin_shows_in_her_own_record(client, staff, mother_user, mother):
    from conftest import client_for

    sign_in_with_totp(client, STAFF_TYPED, PASSWORD)
    response = client.post(f"/admin/accounts/user/{mother_user.pk}/change/", {
        "display_name": "王奶奶", "role": "citizen", "institution": "", "elder_mode": "unknown", "is_active": "on",
        "_save": "1"})
    assert response.status_code == 302, response.content.decode()[:3000]
    mother_user.refresh_from_db()
    assert mother_user.display_name == "王奶奶"
    event = AuditEvent.objects.get(action="admin.changed")
    assert event.subject == mother
    body = client_for(mother_user).get("/account/record/").content.decode()
    assert "在管理后台更改了您的资料" in body
    assert "医保工作人员" in body


def test_demo_staff_is_not_a_superuser_and_cannot_open_what_staff_do_not_need(client, db):
    from django.core.management import call_command

    call_command("seed_demo", stdout=StringIO())
    staff_phone = next(phone for role, _name, phone in demo.WORKERS if role == "staff")
    user = User.objects.get_by_phone(staff_phone)
    assert user.is_staff and not user.is_superuser
    sign_in_with_totp(client, staff_phone.removeprefix("+86"), demo.DEMO_PASSWORD)

    assert client.get("/admin/").status_code == 200
    for needed in ("/admin/insurance/policyrule/", "/admin/insurance/institution/", "/admin/assist/kiosk/",
                   "/admin/accounts/user/"):
        assert client.get(needed).status_code == 200, needed
    # Raw audit trail, groups and rights: superusers only.
    for not_needed in ("/admin/audit/auditevent/", "/admin/auth/group/"):
        assert client.get(not_needed).status_code == 403, not_needed
    # Secrets and raw sign-in records are not in the admin at all.
    for absent in ("/admin/otp_totp/totpdevice/", "/admin/axes/accessattempt/", "/admin/axes/accesslog/",
                   "/admin/accounts/onetimecode/", "/admin/accounts/outboundmessage/"):
        assert client.get(absent, follow=True).status_code == 404, absent
    # Staff cannot make anyone (themselves included) more powerful.
    assert client.get(f"/admin/accounts/user/{user.pk}/change/").status_code in (200, 403)
    response = client.post(f"/admin/accounts/user/{user.pk}/change/", {
        "display_name": "赵敏", "role": "staff", "is_superuser": "on", "is_active": "on", "_save": "1"})
    assert response.status_code == 403
    user.refresh_from_db()
    assert not user.is_superuser


def _raw_rows(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")
        return " ".join(" ".join(str(value) for value in row) for row in cursor.fetchall())


def test_nothing_typed_at_a_sign_in_is_kept_in_clear_in_any_table(client, staff, rule, mother_user):
    wrong = "wrong-password-987"
    for _ in range(3):
        client.post("/accounts/worker/login/?next=/admin/", {"phone": STAFF_TYPED, "password": wrong})
        client.post("/admin/login/?next=/admin/", {"username": STAFF_TYPED, "password": wrong})
    for _ in range(6):  # a helper's phone locked out, rows and all
        client.post("/accounts/worker/login/", {"phone": "13600136004", "password": wrong})
    sign_in_with_totp(client, STAFF_TYPED, PASSWORD)  # a successful sign-in (axes_accesslog)
    client.post(f"/admin/accounts/user/{mother_user.pk}/change/", {  # an admin change (django_admin_log)
        "display_name": "", "role": "citizen", "institution": "", "is_active": "on", "_save": "1"})

    tables = ["axes_accessattempt", "axes_accesslog", "axes_accessfailurelog", "django_admin_log"]
    raw = " ".join(_raw_rows(table) for table in tables)
    assert _raw_rows("axes_accessattempt") and _raw_rows("django_admin_log")  # the rows are there
    for secret in (STAFF_TYPED, "13600136004", "13800138001", wrong, PASSWORD):
        assert secret not in raw, secret


def _scan_terminal_qr(printed: str) -> str:
    """Read the half-block QR the command printed (dark modules are blanks) with a real decoder."""
    import zxingcpp
    from PIL import Image

    lines = [line for line in printed.splitlines() if line and set(line) <= set("█▀▄ ")]
    top = {"█": 255, "▀": 255, "▄": 0, " ": 0}
    bottom = {"█": 255, "▀": 0, "▄": 255, " ": 0}
    rows = [[table[ch] for ch in line] for line in lines for table in (top, bottom)]
    image = Image.new("L", (len(rows[0]), len(rows)))
    image.putdata([value for row in rows for value in row])
    found = zxingcpp.read_barcodes(image.resize((image.width * 4, image.height * 4), Image.NEAREST))
    assert found, "the printed QR does not scan"
    return found[0].text


def test_a_worker_is_enrolled_from_the_server_and_signs_in_with_the_new_authenticator(client, db):
    from django.core.management import CommandError, call_command

    user = User.objects.create_user(STAFF_PHONE, PASSWORD, role=Role.STAFF, is_staff=True)
    out = StringIO()
    call_command("enroll_worker_totp", phone=STAFF_TYPED, stdout=out)
    assert "scan this" in out.getvalue()
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    assert _scan_terminal_qr(out.getvalue()) == device.config_url  # what the printed code says, read back
    with pytest.raises(CommandError, match="already has"):
        call_command("enroll_worker_totp", phone=STAFF_TYPED, stdout=StringIO())
    assert AuditEvent.objects.filter(action="account.totp_enrolled", actor=user).count() == 1

    client.post("/accounts/worker/login/?next=/admin/", {"phone": STAFF_TYPED, "password": PASSWORD})
    code = f"{totp(device.bin_key, t0=0, step=30, digits=6):06d}"
    assert client.post("/accounts/worker/totp/", {"token": code}).url == "/admin/"


def test_a_helper_who_passed_the_authenticator_step_is_still_kept_out_of_the_admin(client, db):
    helper = User.objects.create_user("+8613600136004", PASSWORD, role=Role.HELPER)
    TOTPDevice.objects.create(user=helper, name="phone", confirmed=True, key=TOTP_KEY)
    sign_in_with_totp(client, "13600136004", PASSWORD, "/assist/")
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert client.get("/admin/insurance/policyrule/", follow=True).status_code == 403
