"""A stranger never reaches another person's code, details or account record."""

from __future__ import annotations

from audit.actions import record_event
from audit.models import AuditEvent


def test_a_stranger_sees_only_their_own_code(stranger_client, mother_user):
    body = stranger_client.get("/code/").content.decode()
    assert "赵**" in body
    assert "王**" not in body


def test_the_code_page_carries_no_person_or_voucher_id_to_guess(mother_client, mother):
    body = mother_client.get("/code/").content.decode()
    assert str(mother.public_id) not in body
    assert str(mother.voucher.public_id) not in body


def test_a_stranger_cannot_pass_grandmas_ids_to_any_page(stranger_client, mother_user, mother):
    for path in (f"/code/?person={mother.public_id}", f"/code/card/?person={mother.pk}",
                 f"/account/record/?person={mother.public_id}", f"/code/{mother.public_id}/",
                 f"/account/record/{mother.pk}/"):
        response = stranger_client.get(path)
        assert "王**" not in response.content.decode(), path
        assert response.status_code in (200, 404), path


def test_a_stranger_does_not_see_grandmas_account_record(stranger_client, mother_user, mother):
    record_event(action="voucher.code_shown", actor=mother_user, subject=mother)
    body = stranger_client.get("/account/record/").content.decode()
    assert AuditEvent.objects.filter(subject=mother).exists()
    assert "王**" not in body
    assert "打开了医保码" not in body or AuditEvent.objects.filter(subject__user__isnull=False,
                                                                 action="voucher.code_shown").count() == 1


def test_anonymous_visitors_are_sent_to_sign_in(client, mother_user):
    for path in ("/code/", "/code/large/", "/code/card/", "/code/lost/", "/account/record/",
                 "/activate/confirm/", "/activate/agree/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.url.startswith("/accounts/login/"), path


def test_a_stranger_cannot_suspend_grandmas_code(stranger_client, stranger, mother_user, mother):
    stranger_client.post("/code/lost/")
    mother.voucher.refresh_from_db()
    assert mother.voucher.status == "active"
    stranger.person.voucher.refresh_from_db()
    assert stranger.person.voucher.status == "suspended"


def test_the_api_does_not_tell_a_stranger_anything_without_a_signature(client, mother_user):
    from vouchers.codes import issue_code_token

    token = issue_code_token(mother_user.person.voucher.public_id)
    response = client.post("/api/v1/vouchers/verify", {"code": token}, content_type="application/json")
    assert response.status_code == 401
    assert "王" not in response.content.decode()


def test_the_dev_outbox_is_hidden_when_debug_is_off(client, settings):
    settings.DEBUG = False
    assert client.get("/dev/outbox/").status_code == 404


def test_the_dev_outbox_shows_sent_codes_when_debug_is_on(client, mother, settings):
    settings.DEBUG = True
    client.post("/activate/", {"name": "王秀英", "id_number": "330100194403121123", "phone": "13800138001",
                               "action": "send_sms"})
    body = client.get("/dev/outbox/").content.decode()
    assert "138****8001" in body and "验证码" in body


def test_grandma_reads_her_own_enrollment_and_contributions(mother_client, mother):
    import datetime as dt
    from decimal import Decimal

    from insurance.models import Contribution

    Contribution.objects.create(person=mother, period="2026-10", amount=Decimal("620.00"),
                                account_credit=Decimal("186.00"), paid_on=dt.date(2026, 10, 15), payer="单位和个人")
    body = mother_client.get("/account/enrollment/").content.decode()
    assert "王**" in body and "620.00" in body and "2026-10" in body
    assert "330100194403121123" not in body


def test_a_stranger_reads_only_their_own_enrollment(stranger_client, mother):
    import datetime as dt
    from decimal import Decimal

    from insurance.models import Contribution

    Contribution.objects.create(person=mother, period="2026-10", amount=Decimal("777.77"),
                                paid_on=dt.date(2026, 10, 15), payer="个人")
    body = stranger_client.get(f"/account/enrollment/?person={mother.public_id}").content.decode()
    assert "777.77" not in body and "王**" not in body
