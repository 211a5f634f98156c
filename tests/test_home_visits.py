"""上门服务: she or her son (with `act`) asks a helper of her district to come; helpers in that area accept,
schedule and run it as an ordinary helper session (her consent first, the wipe at the end)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User
from assist import visit_actions
from assist.help_points import seed_demo_help_points
from assist.models import HelperArea, HomeVisit, SessionStatus, VisitStatus
from audit.models import AuditEvent
from conftest import HELPER_PASSWORD, WORKER_TOTP_KEY, client_for, latest_code_sent_to, worker_client
from family.actions import invite_proxy
from notices.models import Notice

pytestmark = pytest.mark.django_db

HANGZHOU = "330100"
VALUES = {"service": "activate", "district": HANGZHOU, "address": "杭州市西湖区翠苑一区12幢3单元301",
          "phone": "13800138001", "preferred_days": "any", "preferred_time": "morning", "note": "腿脚不方便"}


@pytest.fixture(autouse=True)
def directory(helper) -> None:
    seed_demo_help_points()
    HelperArea.objects.create(helper=helper, district=HANGZHOU)


def other_helper(phone: str = "+8613600136099", district: str | None = None) -> User:
    user = User.objects.create_user(phone, HELPER_PASSWORD, role=Role.HELPER, display_name="钱多多")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True, key=WORKER_TOTP_KEY)
    if district:
        HelperArea.objects.create(helper=user, district=district)
    return user


def son_acting_for(mother_user, son, scopes):
    grant = invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child", scopes=scopes)
    client = client_for(son)
    client.post(f"/family/{grant.public_id}/act/")
    return client, grant


def ask(client, **changes):
    return client.post("/assist/visits/new/", {**VALUES, **changes})


def requested(mother, mother_user) -> HomeVisit:
    return visit_actions.request_visit(actor=mother_user, person=mother, **VALUES)


# --- asking ----------------------------------------------------------------------------------------------


def test_she_asks_for_a_visit_and_sees_it_on_her_page(mother_client, mother):
    response = ask(mother_client)
    visit = HomeVisit.objects.get(person=mother)
    assert response.status_code == 302 and response["Location"] == f"/assist/visits/{visit.public_id}/"
    assert visit.address == VALUES["address"] and visit.phone == "+8613800138001"
    page = mother_client.get("/assist/visits/mine/").content.decode()
    assert "等帮办员接单" in page and VALUES["address"] not in page and "杭州市西湖区翠苑****" in page


def test_the_address_and_phone_are_encrypted_at_rest(mother_client, mother):
    ask(mother_client)
    with connection.cursor() as cursor:
        cursor.execute("select address, phone from assist_homevisit")
        address, phone = cursor.fetchone()
    assert "翠苑" not in address and "13800138001" not in phone


def test_her_son_with_act_asks_for_her(mother_user, mother, son):
    client, grant = son_acting_for(mother_user, son, ["act"])
    assert ask(client).status_code == 302
    visit = HomeVisit.objects.get(person=mother)
    assert visit.requested_by == son
    row = AuditEvent.objects.get(action="assist.visit_requested")
    assert row.via == "proxy" and row.detail["grant_id"] == grant.pk and row.subject == mother
    assert "等帮办员接单" in client.get(f"/assist/visits/{visit.public_id}/").content.decode()


def test_a_son_without_act_cannot_ask_or_cancel(mother_user, mother, son):
    client, _grant = son_acting_for(mother_user, son, ["show_code"])
    assert ask(client).status_code == 403
    visit = requested(mother, mother_user)
    assert client.get(f"/assist/visits/{visit.public_id}/").status_code == 403
    assert client.post(f"/assist/visits/{visit.public_id}/cancel/", {"reason": "不用了"}).status_code == 403
    assert HomeVisit.objects.get(pk=visit.pk).status == VisitStatus.REQUESTED


def test_a_stranger_cannot_open_her_visit(mother, mother_user, stranger_client):
    visit = requested(mother, mother_user)
    assert stranger_client.get(f"/assist/visits/{visit.public_id}/").status_code == 404
    assert stranger_client.post(f"/assist/visits/{visit.public_id}/cancel/", {"reason": "捣乱"}).status_code == 404
    assert "/accounts/" in Client().get("/assist/visits/mine/")["Location"]


@pytest.mark.parametrize("phone", ["", "123", "abcdefg", "1380013800", "+1 202"])
def test_no_reachable_phone_is_a_plain_error(mother_client, phone):
    response = ask(mother_client, phone=phone)
    assert response.status_code == 200
    page = response.content.decode()
    assert "电话" in page and 'role="alert"' in page
    assert not HomeVisit.objects.exists()


def test_a_landline_with_its_area_code_is_reachable(mother_client, mother):
    ask(mother_client, phone="0571-88886666")
    assert HomeVisit.objects.get(person=mother).phone == "+8657188886666"


def test_outside_every_helpers_area_she_is_offered_the_nearest_help_points(mother_client):
    response = ask(mother_client, district="510100")
    page = response.content.decode()
    assert "暂时没有帮办员能上门" in page
    assert "锦江区医保服务大厅 长者窗口" in page and 'data-testid="nearest-help-points"' in page
    assert not HomeVisit.objects.exists()


@pytest.mark.parametrize("changes", [{"district": "999999"}, {"service": "delete_everything"}, {"address": "家"},
                                     {"preferred_days": "x"}, {"note": "长" * 500}])
def test_bad_input_is_a_form_error_not_a_500(mother_client, changes):
    assert ask(mother_client, **changes).status_code == 200
    assert not HomeVisit.objects.exists()


# --- helpers ---------------------------------------------------------------------------------------------


def test_a_helper_sees_the_request_in_his_queue_and_on_his_dashboard(mother, mother_user, helper):
    requested(mother, mother_user)
    client = worker_client(helper)
    assert "王**" in client.get("/assist/visits/").content.decode()
    assert 'data-testid="visit-queue-item"' in client.get("/assist/").content.decode()


def test_a_helper_outside_her_area_neither_sees_nor_accepts_it(mother, mother_user):
    visit = requested(mother, mother_user)
    outsider = other_helper(district="510100")
    client = worker_client(outsider)
    assert "王**" not in client.get("/assist/visits/").content.decode()
    assert client.get(f"/assist/visits/{visit.public_id}/work/").status_code == 404
    assert client.post(f"/assist/visits/{visit.public_id}/accept/").status_code == 404
    with pytest.raises(visit_actions.VisitError):
        visit_actions.accept_visit(visit.pk, helper=outsider)
    assert HomeVisit.objects.get(pk=visit.pk).status == VisitStatus.REQUESTED


def test_a_citizen_cannot_use_the_helper_pages(mother, mother_user, mother_client):
    visit = requested(mother, mother_user)
    assert mother_client.get("/assist/visits/").status_code == 302
    assert mother_client.post(f"/assist/visits/{visit.public_id}/accept/").status_code == 403


def test_the_second_helper_to_accept_is_told_plainly(mother, mother_user, helper):
    visit = requested(mother, mother_user)
    second = other_helper(district=HANGZHOU)
    visit_actions.accept_visit(visit.pk, helper=helper)
    client = worker_client(second)
    response = client.post(f"/assist/visits/{visit.public_id}/accept/", follow=True)
    assert "已经有别的帮办员接了" in response.content.decode()
    assert HomeVisit.objects.get(pk=visit.pk).helper == helper
    assert AuditEvent.objects.filter(action="assist.visit_accepted").count() == 1


def test_scheduling_shows_the_day_to_her_and_checks_the_date(mother, mother_user, mother_client, helper):
    visit = requested(mother, mother_user)
    client = worker_client(helper)
    client.post(f"/assist/visits/{visit.public_id}/accept/")
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    bad = client.post(f"/assist/visits/{visit.public_id}/schedule/", {"day": yesterday.isoformat(), "window": "morning"})
    assert bad.status_code == 400 and "不能早于今天" in bad.content.decode()
    assert client.post(f"/assist/visits/{visit.public_id}/schedule/", {"day": "2026-13-45", "window": "x"}
                       ).status_code == 400
    day = timezone.localdate() + dt.timedelta(days=2)
    client.post(f"/assist/visits/{visit.public_id}/schedule/", {"day": day.isoformat(), "window": "afternoon"})
    page = mother_client.get(f"/assist/visits/{visit.public_id}/").content.decode()
    assert f"{day.month}月{day.day}日" in page and "下午（2点到5点）" in page


def test_she_cancels_before_it_happens_with_a_reason_but_not_after_it_started(mother, mother_user, mother_client,
                                                                             helper, kiosk_client):
    visit = requested(mother, mother_user)
    no_reason = mother_client.post(f"/assist/visits/{visit.public_id}/cancel/", {"reason": ""})
    assert no_reason.status_code == 400 and "为什么取消" in no_reason.content.decode()
    mother_client.post(f"/assist/visits/{visit.public_id}/cancel/", {"reason": "女儿回来帮我办了"})
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CANCELLED and visit.cancel_reason == "女儿回来帮我办了"
    second = requested(mother, mother_user)
    visit_actions.accept_visit(second.pk, helper=helper)
    kiosk_client.post(f"/assist/visits/{second.public_id}/start/")
    late = mother_client.post(f"/assist/visits/{second.public_id}/cancel/", {"reason": "不要了"})
    assert late.status_code == 400 and "不能取消了" in late.content.decode()


def test_starting_needs_a_registered_tablet_and_then_her_consent(mother, mother_user, helper, kiosk_client):
    visit = requested(mother, mother_user)
    visit_actions.accept_visit(visit.pk, helper=helper)
    phone_only = worker_client(helper)  # his own phone, not a kiosk
    assert phone_only.post(f"/assist/visits/{visit.public_id}/start/").status_code == 400
    response = kiosk_client.post(f"/assist/visits/{visit.public_id}/start/")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.IN_PROGRESS and visit.session.status == SessionStatus.AWAITING_CONSENT
    assert response["Location"] == f"/assist/s/{visit.session.public_id}/consent/"
    # Without her consent nothing can be done for her.
    task = kiosk_client.get(f"/assist/s/{visit.session.public_id}/activate/")
    assert task.status_code == 403
    assert visit.session.tasks == ["activate"]


def test_a_helper_who_did_not_take_it_cannot_start_it(mother, mother_user, helper):
    visit = requested(mother, mother_user)
    visit_actions.accept_visit(visit.pk, helper=helper)
    with pytest.raises(visit_actions.VisitError):
        visit_actions.start_visit(visit.pk, helper=other_helper(district=HANGZHOU), kiosk=None)


def test_the_visit_is_done_when_the_session_she_consented_to_ends(mother, mother_user, helper, kiosk_client):
    visit = requested(mother, mother_user)
    visit_actions.accept_visit(visit.pk, helper=helper)
    kiosk_client.post(f"/assist/visits/{visit.public_id}/start/")
    visit.refresh_from_db()
    session = visit.session
    kiosk_client.post(f"/assist/s/{session.public_id}/consent/", {"step": "send_code"})
    kiosk_client.post(f"/assist/s/{session.public_id}/consent/",
                      {"step": "code", "code": latest_code_sent_to(mother.phone)})
    kiosk_client.post(f"/assist/s/{session.public_id}/activate/")
    ended = kiosk_client.post(f"/assist/s/{session.public_id}/end/", {"reason": "helper"})
    assert ended["Clear-Site-Data"] == '"cache"'
    visit.refresh_from_db()
    assert visit.status == VisitStatus.DONE
    assert AuditEvent.objects.filter(action="assist.visit_done", subject=mother).count() == 1


def test_a_visit_she_refused_at_the_door_waits_for_another_try(mother, mother_user, helper, kiosk_client):
    visit = requested(mother, mother_user)
    visit_actions.accept_visit(visit.pk, helper=helper)
    kiosk_client.post(f"/assist/visits/{visit.public_id}/start/")
    visit.refresh_from_db()
    kiosk_client.post(f"/assist/s/{visit.session.public_id}/consent/", {"step": "refuse"})
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SCHEDULED and visit.session is None


def test_each_step_is_audited_and_told_once(mother, mother_user, son, helper, django_capture_on_commit_callbacks):
    invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child", scopes=["act"])
    with django_capture_on_commit_callbacks(execute=True):
        visit = requested(mother, mother_user)
        visit_actions.accept_visit(visit.pk, helper=helper)
        visit_actions.accept_visit(visit.pk, helper=helper)  # pressed twice: nothing new
        visit_actions.schedule_visit(visit.pk, helper=helper, day=timezone.localdate() + dt.timedelta(days=1),
                                     window="morning")
        visit_actions.mark_visit_done(visit.pk, helper=helper)
    kinds = list(AuditEvent.objects.filter(subject=mother, action__startswith="assist.visit")
                 .order_by("pk").values_list("action", flat=True))
    assert kinds == ["assist.visit_requested", "assist.visit_accepted", "assist.visit_scheduled", "assist.visit_done"]
    for kind in kinds:
        to_her = Notice.objects.filter(kind=kind, for_family=False)
        assert to_her.count() == 1, kind
        assert Notice.objects.filter(kind=kind, for_family=True).count() == 1, kind
    scheduled = Notice.objects.get(kind="assist.visit_scheduled", for_family=False)
    assert "上门" in scheduled.body and "上午" in scheduled.body


def test_her_account_record_says_what_happened(mother, mother_user, mother_client):
    requested(mother, mother_user)
    assert "申请了帮办员上门服务" in mother_client.get("/account/record/").content.decode()
