"""手工报销: from her failed settlement one tap opens a claim filled in from that bill; she (or her son with
`act`) adds the invoice and payment slip photos and chooses where the money goes, in three screens. Every bad
input gets a plain Chinese message and leaves nothing behind."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from assist.models import AssistSession
from audit.models import AuditEvent, Via
from conftest import client_for, latest_code_sent_to, make_citizen, make_person
from elder_mode.voice.guides import guide_text
from family.actions import invite_proxy
from family.models import ProxyGrant
from insurance.models import Scheme
from services.catalogue import SERVICES
from services.models import Attachment, Claim, ClaimStatus
from services.templatetags.claim_button import claim_button
from settlement.models import Settlement, SettlementItem


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")


def jpeg(name="photo.jpg", data: bytes | None = None):
    if data is None:
        out = io.BytesIO()
        Image.new("RGB", (800, 600), (200, 200, 190)).save(out, format="JPEG")
        data = out.getvalue()
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def a_settlement(person, institution, status="failed", days_ago=3) -> Settlement:
    s = Settlement.objects.create(institution=institution, person=person, voucher=person.voucher,
                                  code_nonce=uuid.uuid4().hex, visit_type="outpatient", status=status,
                                  total=Decimal("300.00"), reason="医保系统暂时连不上")
    Settlement.objects.filter(pk=s.pk).update(created_at=timezone.now() - dt.timedelta(days=days_ago))
    SettlementItem.objects.create(settlement=s, code="X1", name="阿莫西林胶囊", category="A", quantity=1,
                                  unit_price=Decimal("200.00"), amount=Decimal("200.00"))
    SettlementItem.objects.create(settlement=s, code="X2", name="血常规", category="B", quantity=1,
                                  unit_price=Decimal("100.00"), amount=Decimal("100.00"))
    s.refresh_from_db()
    return s


@pytest.fixture
def banked(mother, mother_user):
    mother.bank_name, mother.bank_account = "工商银行", "6222020202021234"
    mother.save()
    return mother


def screen1(client, settlement=None, **extra):
    data = {"step": "1", "invoice_total": "300.00", **extra}
    if settlement is not None:
        data["settlement"] = str(settlement.public_id)
    return client.post("/services/claims/new/", data)


def screen2(client, settlement=None, destination="bank", invoice=True, slip=True, **extra):
    data = {"step": "2", "invoice_total": "300.00", "destination": destination, **extra}
    if settlement is not None:
        data["settlement"] = str(settlement.public_id)
    if invoice:
        data["invoice_photo"] = jpeg() if invoice is True else invoice
    if slip:
        data["slip_photo"] = jpeg()
    return client.post("/services/claims/new/", data)


def son_acting_with(son, mother_user, scopes):
    invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child", scopes=list(scopes))
    grant = ProxyGrant.objects.get(proxy=son)
    client = client_for(son)
    client.post(f"/family/{grant.public_id}/act/")
    return client, grant


def test_a_failed_settlement_becomes_a_claim_in_three_screens(mother_client, banked, institution,
                                                              django_capture_on_commit_callbacks):
    s = a_settlement(banked, institution)
    page = mother_client.get(f"/services/claims/new/?settlement={s.public_id}").content.decode()
    assert "阿莫西林胶囊" in page and "300.00" in page and "第 1 步，共 3 步" in page
    page2 = screen1(mother_client, s).content.decode()
    assert "第 2 步，共 3 步" in page2 and 'capture="environment"' in page2 and "工商银行 **** 1234" in page2
    with django_capture_on_commit_callbacks(execute=True):
        response = screen2(mother_client, s)
    claim = Claim.objects.get(person=banked)
    assert response.url == f"/services/claims/{claim.public_id}/?new=1"
    assert claim.status == ClaimStatus.PENDING and claim.settlement == s and claim.total == Decimal("300.00")
    assert claim.due_by > timezone.now() and len(claim.items) == 2
    assert set(Attachment.objects.filter(claim=claim).values_list("label", flat=True)) == {"发票", "付款凭证"}
    assert AuditEvent.objects.get(action="services.claim_submitted").via == Via.SELF
    done = mother_client.get(response.url).content.decode()
    assert "第 3 步，共 3 步" in done and "正在审核" in done and f'id="claim-{claim.public_id}"' in done


def test_her_records_and_receipt_offer_the_claim_and_then_its_progress(mother_client, banked, institution):
    s = a_settlement(banked, institution)
    assert claim_button(s)["show"] and claim_button(s)["claim"] is None
    screen2(mother_client, s)
    assert claim_button(s)["claim"] == Claim.objects.get()
    settled = a_settlement(banked, institution, status="settled")
    assert not claim_button(settled)["show"]


def test_a_claim_from_nothing_with_a_typed_hospital(mother_client, banked):
    values = {"institution_name": "某某诊所", "institution_level": "primary", "region_code": "330100",
              "visit_date": str(timezone.localdate() - dt.timedelta(days=10)), "visit_type": "outpatient",
              "item_0_name": "感冒药", "item_0_category": "A", "item_0_amount": "120.00",
              "item_1_name": "输液", "item_1_category": "B", "item_1_amount": "180.00"}
    assert "第 2 步" in screen1(mother_client, **values).content.decode()
    screen2(mother_client, **values)
    claim = Claim.objects.get()
    assert claim.institution is None and claim.institution_name == "某某诊所" and claim.total == Decimal("300.00")
    screen2(mother_client, **values)  # a double press finds the first
    assert Claim.objects.count() == 1


@pytest.mark.parametrize(("extra", "says"), [
    ({"invoice_total": "299.00"}, "发票上的金额和明细合计不一样"),
    ({"invoice_total": "abc"}, "请填数字"),
    ({"invoice_total": ""}, "请填发票上的总金额"),
])
def test_amounts_that_do_not_match_are_explained(mother_client, banked, institution, extra, says):
    s = a_settlement(banked, institution)
    response = screen1(mother_client, s, **extra)
    assert response.status_code == 200 and says in response.content.decode()
    assert not Claim.objects.exists()


def test_a_visit_older_than_the_window_is_refused(mother_client, banked, institution, settings):
    settings.CLAIM_WINDOW_DAYS = 30
    s = a_settlement(banked, institution, days_ago=40)
    assert "已经超过30天" in mother_client.get(f"/services/claims/new/?settlement={s.public_id}").content.decode()
    screen2(mother_client, s)
    assert not Claim.objects.exists()


def test_a_settled_bill_has_nothing_to_claim(mother_client, banked, institution):
    s = a_settlement(banked, institution, status="settled")
    assert "没有要报销的钱" in mother_client.get(f"/services/claims/new/?settlement={s.public_id}").content.decode()
    screen2(mother_client, s)
    assert not Claim.objects.exists()


def test_a_bill_already_claimed_leads_to_its_claim(mother_client, banked, institution):
    s = a_settlement(banked, institution)
    screen2(mother_client, s)
    claim = Claim.objects.get()
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.RETURNED)
    again = mother_client.get(f"/services/claims/new/?settlement={s.public_id}")
    assert again.url == f"/services/claims/{claim.public_id}/"
    screen2(mother_client, s)
    assert Claim.objects.count() == 1


def test_someone_elses_settlement_is_a_404(stranger, banked, institution):
    s = a_settlement(banked, institution)
    client = client_for(stranger)
    assert client.get(f"/services/claims/new/?settlement={s.public_id}").status_code == 404
    assert client.get("/services/claims/new/?settlement=not-a-uuid").status_code == 404
    assert screen2(client, s).status_code == 404
    assert not Claim.objects.exists()


@pytest.mark.parametrize(("kwargs", "says"), [
    ({"invoice": False}, "请拍一张发票的照片"),
    ({"slip": False}, "请拍一张付款凭证的照片"),
    ({"invoice": SimpleUploadedFile("x.jpg", b"%PDF-1.4 nope", content_type="image/jpeg")}, "这不是照片文件"),
    ({"destination": ""}, "请选钱打到哪里"),
])
def test_missing_or_bad_photos_are_explained_and_nothing_is_kept(mother_client, banked, institution, kwargs, says):
    s = a_settlement(banked, institution)
    response = screen2(mother_client, s, **kwargs)
    assert response.status_code == 200 and says in response.content.decode()
    assert not Claim.objects.exists() and not Attachment.objects.exists()


def test_a_resident_cannot_choose_a_personal_account(institution, db):
    person = make_person(scheme=Scheme.RESIDENT, bank_name="农业银行", bank_account="6228480000005678")
    client = client_for(make_citizen(person))
    s = a_settlement(person, institution)
    assert "医保个人账户" not in screen1(client, s).content.decode()
    assert "居民医保没有个人账户" in screen2(client, s, destination="account").content.decode()
    assert not Claim.objects.exists()


def test_no_bank_account_on_file_says_what_to_do(mother_client, mother, institution):
    s = a_settlement(mother, institution)
    page = screen2(mother_client, s, destination="bank").content.decode()
    assert "医保局没有您的银行卡" in page and "请选个人账户" in page
    screen2(mother_client, s, destination="account")
    assert Claim.objects.get().destination == "account"


def test_her_son_with_act_claims_for_her_and_she_is_told(son, mother_user, banked, institution,
                                                         django_capture_on_commit_callbacks):
    client, _grant = son_acting_with(son, mother_user, ["act"])
    s = a_settlement(banked, institution)
    with django_capture_on_commit_callbacks(execute=True):
        screen2(client, s)
    claim = Claim.objects.get()
    assert claim.via == "proxy" and claim.submitted_by == son
    assert AuditEvent.objects.get(action="services.claim_submitted").via == Via.PROXY
    assert client.get(f"/services/claims/{claim.public_id}/").status_code == 200


def test_a_proxy_without_act_may_not_claim(son, mother_user, banked, institution):
    client, _grant = son_acting_with(son, mother_user, ["view_settlements"])
    s = a_settlement(banked, institution)
    assert client.get(f"/services/claims/new/?settlement={s.public_id}").status_code in (302, 403)
    screen2(client, s)
    assert not Claim.objects.exists()
    assert client.get("/services/claims/").status_code in (302, 403)


def test_her_pages_have_a_voice_guide_and_the_catalogue_leads_here(mother_client, banked, institution):
    s = a_settlement(banked, institution)
    screen2(mother_client, s)
    claim = Claim.objects.get()
    for path, key in (("/services/claims/", "claims"), ("/services/claims/new/", "claim_new"),
                      (f"/services/claims/{claim.public_id}/", "claim_detail")):
        assert guide_text(key) in mother_client.get(path).content.decode(), path
    entry = next(e for e in SERVICES if e.slug == "reimbursement")
    assert entry.online and entry.href(banked) == "/services/claims/"


def test_a_stranger_sees_no_claim_of_hers(stranger, mother_client, banked, institution):
    s = a_settlement(banked, institution)
    screen2(mother_client, s)
    claim = Claim.objects.get()
    assert client_for(stranger).get(f"/services/claims/{claim.public_id}/").status_code == 404


def test_a_returned_claim_is_fixed_and_sent_again(mother_client, banked, institution):
    s = a_settlement(banked, institution)
    screen2(mother_client, s)
    claim = Claim.objects.get()
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.RETURNED, reason="发票照片看不清")
    page = mother_client.get(f"/services/claims/{claim.public_id}/").content.decode()
    assert "发票照片看不清" in page and "改好后重新提交" in page
    response = mother_client.post(f"/services/claims/{claim.public_id}/resubmit/",
                                  {"invoice_total": "300.00", "destination": "bank", "invoice_photo": jpeg()})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PENDING and claim.attachments.count() == 3


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


def test_a_helper_claims_her_failed_bill_in_a_session_with_the_task(kiosk_client, helper, banked, institution):
    s = a_settlement(banked, institution)
    session = helper_session(kiosk_client, banked, ["claim"])
    base = f"/assist/s/{session.public_id}/claim/"
    assert "手工报销" in kiosk_client.get(f"/assist/s/{session.public_id}/").content.decode()
    page = kiosk_client.get(base).content.decode()
    assert f"?settlement={s.public_id}" in page and "结束帮办" in page
    assert "第 2 步" in kiosk_client.post(base, {"step": "1", "settlement": str(s.public_id),
                                                 "invoice_total": "300.00"}).content.decode()
    response = kiosk_client.post(base, {"step": "2", "settlement": str(s.public_id), "invoice_total": "300.00",
                                        "destination": "bank", "invoice_photo": jpeg(), "slip_photo": jpeg()})
    assert response.url == f"/assist/s/{session.public_id}/"
    claim = Claim.objects.get()
    assert claim.via == "helper" and claim.submitted_by == helper
    event = AuditEvent.objects.get(action="services.claim_submitted")
    assert event.via == Via.HELPER and event.detail["assist_session_id"] == session.pk
    session.refresh_from_db()
    assert "claim" in session.done
    photo = claim.attachments.first()
    assert kiosk_client.get(f"/services/attachments/{photo.public_id}/").status_code == 200


def test_a_helper_without_the_task_is_refused(kiosk_client, banked, institution):
    s = a_settlement(banked, institution)
    session = helper_session(kiosk_client, banked, ["check_records"])
    response = kiosk_client.post(f"/assist/s/{session.public_id}/claim/", {
        "step": "2", "settlement": str(s.public_id), "invoice_total": "300.00", "destination": "bank",
        "invoice_photo": jpeg(), "slip_photo": jpeg()})
    assert response.status_code == 403
    assert not Claim.objects.exists() and not Attachment.objects.exists()
