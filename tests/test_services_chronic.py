"""门诊慢特病: 奶奶 applies with a photo of her hospital certificate (or her son with `act`, or a helper in a
session with the task), staff decide, and she sees the end date of her grant. Every bad input gets a plain
Chinese message and leaves nothing behind."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accounts.models import OutboundMessage, Role, User
from assist.models import AssistSession
from audit.models import AuditEvent, Via
from conftest import client_for, latest_code_sent_to
from elder_mode.voice.guides import guide_text
from family.actions import invite_proxy
from family.models import ProxyGrant
from insurance.filings import ChronicCondition, Entitlement, ReviewStatus
from services import actions
from services.chronic import grant_ends_on
from services.models import Attachment
from services.uploads import clean_photo_bytes

HYPERTENSION = "M03900"


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")


def jpeg_bytes(size=(800, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 200, 190)).save(out, format="JPEG")
    return out.getvalue()


def certificate(name="certificate.jpg", data: bytes | None = None, content_type="image/jpeg"):
    return SimpleUploadedFile(name, jpeg_bytes() if data is None else data, content_type=content_type)


def apply(client, **overrides):
    values = {"condition": HYPERTENSION, "hospital": "杭州市第一人民医院", "photo": certificate()}
    values.update(overrides)
    return client.post("/services/chronic/apply/", {k: v for k, v in values.items() if v is not None})


@pytest.fixture
def hypertension(db) -> ChronicCondition:
    return ChronicCondition.objects.get(code=HYPERTENSION)


@pytest.fixture
def staff(db):
    return User.objects.create_user("+8613300133006", "a-long-staff-password", role=Role.STAFF, display_name="赵敏",
                                    is_staff=True)


def son_acting_with(son, mother_user, scopes):
    invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child", scopes=list(scopes))
    grant = ProxyGrant.objects.get(proxy=son)
    client = client_for(son)
    client.post(f"/family/{grant.public_id}/act/")
    return client, grant


def her_application(mother, hypertension, mother_user) -> Entitlement:
    return actions.apply_entitlement(actor=mother_user, person=mother, via="self", condition=hypertension,
                                     hospital="杭州市第一人民医院", photo=clean_photo_bytes(jpeg_bytes()))


# --- she applies --------------------------------------------------------------------------------------


def test_she_applies_with_a_certificate_photo_and_sees_it_under_review(mother_client, mother, hypertension,
                                                                       django_capture_on_commit_callbacks):
    page = mother_client.get("/services/chronic/apply/").content.decode()
    assert "高血压" in page and "血压长期偏高" in page and "医保报销85%" in page and "每年最多3000元" in page
    assert 'accept="image/*"' in page and 'capture="environment"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = apply(mother_client)
    entitlement = Entitlement.objects.get(person=mother)
    assert response.url == f"/services/chronic/{entitlement.public_id}/"
    assert entitlement.status == ReviewStatus.PENDING and entitlement.hospital == "杭州市第一人民医院"
    assert entitlement.due_by > timezone.now()
    photo = Attachment.objects.get(entitlement=entitlement)
    assert photo.label == "诊断证明" and photo.person == mother
    event = AuditEvent.objects.get(subject=mother, action="services.entitlement_applied")
    assert event.via == Via.SELF and event.detail["condition"] == HYPERTENSION
    detail = mother_client.get(response.url).content.decode()
    assert "正在审核" in detail and f'id="entitlement-{entitlement.public_id}"' in detail
    listing = mother_client.get("/services/chronic/").content.decode()
    assert "高血压 · 审核中" in listing


def test_her_pages_have_a_voice_guide(mother_client, mother, hypertension, mother_user):
    entitlement = her_application(mother, hypertension, mother_user)
    for path, key in (("/services/chronic/", "chronic"), ("/services/chronic/apply/", "chronic_apply"),
                      (f"/services/chronic/{entitlement.public_id}/", "chronic_detail")):
        assert guide_text(key) in mother_client.get(path).content.decode(), path


@pytest.mark.parametrize(("overrides", "says"), [
    ({"photo": None}, "请拍一张医院诊断证明的照片"),
    ({"photo": SimpleUploadedFile("cert.jpg", b"%PDF-1.4 not a photo at all", content_type="image/jpeg")},
     "这不是照片文件"),
    ({"photo": SimpleUploadedFile("tiny.jpg", b"", content_type="image/jpeg")}, "没有收到照片"),
    ({"condition": None}, "请点选您得的病"),
    ({"condition": "NOPE"}, "这个病现在不能在网上申请"),
    ({"hospital": "   "}, "请写上开诊断证明的医院"),
    ({"hospital": "医" * 101}, "医院名字太长了"),
])
def test_bad_input_is_explained_and_nothing_is_kept(mother_client, mother, hypertension, overrides, says):
    response = apply(mother_client, **overrides)
    assert response.status_code == 200
    assert says in response.content.decode()
    assert not Entitlement.objects.exists() and not Attachment.objects.exists()


def test_a_tiny_picture_is_refused_as_unreadable(mother_client, mother, hypertension):
    response = apply(mother_client, photo=certificate(data=jpeg_bytes((120, 90))))
    assert "照片太小" in response.content.decode() and not Entitlement.objects.exists()


def test_a_condition_staff_switched_off_cannot_be_applied_for(mother_client, mother, mother_user, hypertension):
    ChronicCondition.objects.filter(pk=hypertension.pk).update(is_active=False)
    assert "高血压" not in mother_client.get("/services/chronic/apply/").content.decode()
    response = apply(mother_client)
    assert "这个病现在不能在网上申请" in response.content.decode() and not Entitlement.objects.exists()
    hypertension.refresh_from_db()
    with pytest.raises(actions.ServiceError) as refused:  # the action refuses it too, whoever calls it
        her_application(mother, hypertension, mother_user)
    assert refused.value.field == "condition" and not Entitlement.objects.exists()


def test_a_double_press_finds_the_first_application(mother_client, mother, hypertension):
    first = apply(mother_client)
    second = apply(mother_client)
    entitlement = Entitlement.objects.get(person=mother)
    assert first.url == second.url == f"/services/chronic/{entitlement.public_id}/"
    assert Attachment.objects.count() == 1
    assert AuditEvent.objects.filter(action="services.entitlement_applied").count() == 1


def test_a_second_application_for_a_granted_condition_says_until_when(mother, mother_user, mother_client,
                                                                      hypertension, staff):
    entitlement = her_application(mother, hypertension, mother_user)
    actions.decide_entitlement(entitlement.pk, staff=staff, decision="approve")
    response = apply(mother_client)
    assert "已经认定过了" in response.content.decode() and "有效期到" in response.content.decode()
    assert Entitlement.objects.count() == 1 and Attachment.objects.count() == 1


def test_two_presses_racing_past_the_check_end_with_one_application(mother, mother_user, hypertension, monkeypatch):
    # The second press reached the insert after the first one committed: the unique constraint decides.
    first = her_application(mother, hypertension, mother_user)
    monkeypatch.setattr(actions, "_live_entitlement",
                        lambda person, condition, calls=[]: calls.append(1) or (None if len(calls) == 1 else first))
    again = her_application(mother, hypertension, mother_user)
    assert again == first and Entitlement.objects.count() == 1 and Attachment.objects.count() == 1


# --- who may ------------------------------------------------------------------------------------------


def test_a_stranger_gets_404_for_her_application(stranger_client, mother, mother_user, hypertension):
    entitlement = her_application(mother, hypertension, mother_user)
    assert stranger_client.get(f"/services/chronic/{entitlement.public_id}/").status_code == 404
    assert stranger_client.post(f"/services/chronic/{entitlement.public_id}/cancel/").status_code == 404
    assert 'data-testid="no-entitlements"' in stranger_client.get("/services/chronic/").content.decode()
    entitlement.refresh_from_db()
    assert entitlement.status == ReviewStatus.PENDING


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    assert client.get("/services/chronic/").status_code == 302
    assert client.post("/services/chronic/apply/").status_code == 302


def test_her_son_with_act_applies_for_her_and_she_is_told(son, mother_user, mother, hypertension,
                                                          django_capture_on_commit_callbacks):
    son_client, grant = son_acting_with(son, mother_user, ["act"])
    with django_capture_on_commit_callbacks(execute=True):
        response = apply(son_client)
    entitlement = Entitlement.objects.get(person=mother)
    assert response.url == f"/services/chronic/{entitlement.public_id}/"
    assert entitlement.via == "proxy" and entitlement.submitted_by == son
    event = AuditEvent.objects.get(subject=mother, action="services.entitlement_applied")
    assert event.via == Via.PROXY and event.detail["grant_id"] == grant.pk
    texts = [m.body for m in OutboundMessage.objects.filter(phone_index=mother.phone_index)]
    assert any("门诊慢特病" in text for text in texts)
    assert son_client.get(f"/services/chronic/{entitlement.public_id}/").status_code == 200


def test_a_son_without_act_may_read_but_not_apply(son, mother_user, mother, hypertension):
    her_application(mother, hypertension, mother_user)
    son_client, _grant = son_acting_with(son, mother_user, ["view_records"])
    listing = son_client.get("/services/chronic/")
    assert listing.status_code == 200 and "高血压" in listing.content.decode()
    assert 'data-testid="chronic-apply"' not in listing.content.decode()
    assert son_client.get("/services/chronic/apply/").status_code == 403
    assert apply(son_client, condition="M01600").status_code == 403
    entitlement = Entitlement.objects.get()
    assert son_client.post(f"/services/chronic/{entitlement.public_id}/cancel/").status_code == 403
    assert son_client.post(f"/services/chronic/{entitlement.public_id}/", {"photo": certificate()}).status_code == 403
    assert Entitlement.objects.count() == 1


def test_a_son_with_only_show_code_cannot_even_read(son, mother_user, mother, hypertension):
    entitlement = her_application(mother, hypertension, mother_user)
    son_client, _grant = son_acting_with(son, mother_user, ["show_code"])
    assert son_client.get("/services/chronic/").status_code == 403
    assert son_client.get(f"/services/chronic/{entitlement.public_id}/").status_code == 403


# --- a helper in a session ----------------------------------------------------------------------------


def helper_session(kiosk_client, mother, tasks):
    kiosk_client.post("/assist/start/", {"name": "王秀英", "id_number": "330100194403121123", "tasks": list(tasks)})
    session = AssistSession.objects.latest("id")
    kiosk_client.post(f"/assist/s/{session.public_id}/consent/", {"step": "send_code"})
    kiosk_client.post(f"/assist/s/{session.public_id}/consent/",
                      {"step": "code", "code": latest_code_sent_to(mother.phone)})
    session.refresh_from_db()
    assert session.status == "active"
    return session


def test_a_helper_applies_in_a_session_with_the_task(kiosk_client, mother, helper, hypertension):
    session = helper_session(kiosk_client, mother, ["chronic"])
    assert "门诊慢特病申请" in kiosk_client.get(f"/assist/s/{session.public_id}/").content.decode()
    page = kiosk_client.get(f"/assist/s/{session.public_id}/chronic/").content.decode()
    assert "高血压" in page and 'capture="environment"' in page
    response = kiosk_client.post(f"/assist/s/{session.public_id}/chronic/",
                                 {"condition": HYPERTENSION, "hospital": "翠苑社区卫生服务中心", "photo": certificate()})
    assert response.url == f"/assist/s/{session.public_id}/"
    entitlement = Entitlement.objects.get(person=mother)
    assert entitlement.via == "helper" and entitlement.submitted_by == helper
    event = AuditEvent.objects.get(subject=mother, action="services.entitlement_applied")
    assert event.via == Via.HELPER and event.detail["assist_session_id"] == session.pk
    session.refresh_from_db()
    assert "chronic" in session.done


def test_a_helper_without_the_task_is_refused(kiosk_client, mother, hypertension):
    session = helper_session(kiosk_client, mother, ["check_records"])
    response = kiosk_client.post(f"/assist/s/{session.public_id}/chronic/",
                                 {"condition": HYPERTENSION, "hospital": "翠苑社区卫生服务中心", "photo": certificate()})
    assert response.status_code == 403 and "不在她同意办理的范围里" in response.content.decode()
    assert not Entitlement.objects.exists() and not Attachment.objects.exists()


def test_a_helper_outside_a_session_cannot_use_her_citizen_pages(kiosk_client, mother, mother_user, hypertension):
    entitlement = her_application(mother, hypertension, mother_user)
    assert kiosk_client.get(f"/services/chronic/{entitlement.public_id}/").status_code == 404


# --- after a decision ---------------------------------------------------------------------------------


def test_once_granted_she_sees_the_end_date_big_and_what_it_means(mother_client, mother, mother_user, hypertension,
                                                                   staff):
    entitlement = her_application(mother, hypertension, mother_user)
    actions.decide_entitlement(entitlement.pk, staff=staff, decision="approve")
    entitlement.refresh_from_db()
    today = timezone.localdate()
    assert entitlement.valid_from == today
    assert entitlement.valid_until == grant_ends_on(today, hypertension.valid_years)
    until = entitlement.valid_until
    listing = mother_client.get("/services/chronic/").content.decode()
    assert f"有效期到{until.year}年{until.month}月{until.day}日" in listing
    assert "在门诊看高血压、买治这个病的药，医保报销85%，每年最多3000元" in listing


def test_a_resident_sees_her_own_schemes_ratio(mother_client, mother, mother_user, hypertension, staff):
    mother.scheme = "resident"
    mother.save(update_fields=["scheme"])
    entitlement = her_application(mother, hypertension, mother_user)
    actions.decide_entitlement(entitlement.pk, staff=staff, decision="approve")
    assert "医保报销70%" in mother_client.get("/services/chronic/").content.decode()


def test_a_grant_lasts_the_conditions_years_less_a_day():
    assert grant_ends_on(dt.date(2026, 11, 30), 2) == dt.date(2028, 11, 29)
    assert grant_ends_on(dt.date(2028, 2, 29), 1) == dt.date(2029, 2, 28)


def test_after_a_return_she_sends_a_new_photo_and_it_goes_back_to_review(mother_client, mother, mother_user,
                                                                         hypertension, staff):
    entitlement = her_application(mother, hypertension, mother_user)
    actions.decide_entitlement(entitlement.pk, staff=staff, decision="return", reason="证明没有盖章，请补拍盖章的那一页")
    page = mother_client.get(f"/services/chronic/{entitlement.public_id}/").content.decode()
    assert "证明没有盖章" in page and "重新上传证明" in page
    assert "请拍一张" in mother_client.post(f"/services/chronic/{entitlement.public_id}/", {}).content.decode()
    response = mother_client.post(f"/services/chronic/{entitlement.public_id}/", {"photo": certificate()})
    assert response.status_code == 302
    entitlement.refresh_from_db()
    assert entitlement.status == ReviewStatus.PENDING and entitlement.reason == ""
    assert entitlement.attachments.count() == 2
    assert AuditEvent.objects.filter(action="services.entitlement_changed").count() == 1


def test_she_cancels_an_application_under_review(mother_client, mother, mother_user, hypertension):
    entitlement = her_application(mother, hypertension, mother_user)
    assert mother_client.post(f"/services/chronic/{entitlement.public_id}/cancel/").url == "/services/chronic/"
    entitlement.refresh_from_db()
    assert entitlement.status == ReviewStatus.CANCELLED
    assert mother_client.post(f"/services/chronic/{entitlement.public_id}/cancel/").status_code == 302
    assert AuditEvent.objects.filter(action="services.entitlement_cancelled").count() == 1
    # Cancelled, she may apply again for the same condition.
    assert apply(mother_client).status_code == 302 and Entitlement.objects.count() == 2


def test_after_her_grant_runs_out_she_applies_again(mother_client, mother, mother_user, hypertension, staff):
    old = her_application(mother, hypertension, mother_user)
    actions.decide_entitlement(old.pk, staff=staff, decision="approve")
    Entitlement.objects.filter(pk=old.pk).update(valid_from=dt.date(2020, 1, 1), valid_until=dt.date(2021, 12, 31))
    listing = mother_client.get("/services/chronic/").content.decode()
    assert "高血压的认定已经到期了" in listing and "有效期到2021年" not in listing
    response = apply(mother_client)
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.status == ReviewStatus.EXPIRED
    renewal = Entitlement.objects.exclude(pk=old.pk).get()
    assert renewal.status == ReviewStatus.PENDING
    assert AuditEvent.objects.filter(action="services.entitlement_applied").latest("id").detail["renews"] == str(
        old.public_id)
