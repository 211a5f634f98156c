"""The house rules for pages and state changes (docs/architecture.md, "State changes"): scopes are checked by one decorator and
refused with one page; actions take the acting user, never a request; each state change is one transaction;
audit kinds are named once; a proxy's use is told to her by the action that records it, not by a signal."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.http import HttpResponse
from django.test import Client, RequestFactory

from accounts.actions import AuthenticatorExists, enroll_worker_totp, send_one_time_code, sign_in_with_code
from accounts.models import OutboundMessage, Purpose, Role, User
from assist import actions as assist_actions
from assist.models import AssistSession, Task
from audit.actions import record_event
from audit.kinds import Kind, UnknownKind
from audit.models import AuditEvent, Via
from conftest import client_for, latest_code_sent_to, make_citizen
from core.acting_for import own_account_only, requires_scope
from family.actions import invite_proxy
from family.models import ProxyGrant


def _texts_to(person) -> list[str]:
    return list(OutboundMessage.objects.filter(phone_index=person.phone_index).values_list("body", flat=True))


def _son_acting_for(mother_user, son, scopes: list[str]) -> tuple[Client, ProxyGrant]:
    grant = invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child", scopes=scopes)
    client = client_for(son)
    client.post(f"/family/{grant.public_id}/act/")
    return client, grant


# --- one decorator, one "not allowed" page ------------------------------------------------------------------


def test_a_son_without_the_scope_gets_the_same_not_allowed_page_from_every_part_of_the_portal(mother_user, son):
    client, _grant = _son_acting_for(mother_user, son, ["show_code"])
    for address in ("/records/", "/account/enrollment/", "/account/record/", "/code/lost/"):
        response = client.get(address)
        assert response.status_code == 403, address
        assert response.templates[0].name == "not_allowed.html", address
        assert "这件事她没有授权给您" in response.content.decode()


def test_a_page_that_needs_a_scope_refuses_a_request_that_has_no_acting_for_context_at_all(mother_user):
    @requires_scope("view_records")
    def her_records(request):
        return HttpResponse("her records")

    @own_account_only
    def her_own_record(request):
        return HttpResponse("her own record")

    bare = RequestFactory().get("/records/")
    bare.user = mother_user
    assert her_records(bare).status_code == 403
    bare.may, bare.acting_grant = (lambda scope: True), None
    assert her_records(bare).content == b"her records"
    assert her_own_record(bare).content == b"her own record"


# --- actions take the acting user, never a request --------------------------------------------------------


def test_no_action_takes_a_web_request():
    taking_requests = []
    ours = [c.name for c in apps.get_app_configs() if Path(c.path).parent == Path(settings.BASE_DIR)]
    with_actions = [name for name in ours if importlib.util.find_spec(f"{name}.actions")]
    assert {"accounts", "assist", "family", "vouchers"} <= set(with_actions)
    for app in with_actions:
        module = importlib.import_module(f"{app}.actions")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ != module.__name__:
                continue
            for parameter in inspect.signature(function).parameters.values():
                if parameter.name == "request" or "HttpRequest" in str(parameter.annotation):
                    taking_requests.append(f"{app}.actions.{name}({parameter.name})")
    assert taking_requests == []


def test_signing_in_with_a_code_returns_her_account_for_the_page_to_sign_in(mother_user, mother):
    send_one_time_code(phone_e164=mother.phone, purpose=Purpose.SIGN_IN, ip="203.0.113.9")
    user = sign_in_with_code(phone_e164=mother.phone, code=latest_code_sent_to(mother.phone), ip="203.0.113.9")
    assert user == mother_user
    event = AuditEvent.objects.filter(action=Kind.SIGNED_IN).latest("id")
    assert event.subject == mother and event.ip_address == "203.0.113.9"


def test_enrolling_a_workers_authenticator_is_one_action_with_its_audit_row(db):
    worker = User.objects.create_user("+8613600136009", "a-long-helper-password", role=Role.HELPER)
    first = enroll_worker_totp(worker)
    with pytest.raises(AuthenticatorExists):
        enroll_worker_totp(worker)
    second = enroll_worker_totp(worker, replace=True)
    assert first.pk != second.pk and list(worker.totpdevice_set.all()) == [second]
    assert [e.detail for e in AuditEvent.objects.filter(action="account.totp_enrolled", actor=worker)
            .order_by("id")] == [{"replaced": False}, {"replaced": True}]


# --- audit kinds are named once ------------------------------------------------------------------------------


def test_a_misspelt_audit_kind_fails_at_once_and_writes_nothing(mother_user, mother):
    before = AuditEvent.objects.count()
    with pytest.raises(UnknownKind):
        record_event(action="voucher.code_shwon", actor=mother_user, subject=mother)
    assert AuditEvent.objects.count() == before
    assert record_event(action=Kind.CODE_SHOWN, actor=mother_user, subject=mother).action == "voucher.code_shown"


# --- a proxy's use is told by the action that records it, not by a signal on audit rows ----------------------


def test_an_audit_row_written_by_itself_sends_her_no_text(mother_user, mother, son,
                                                         django_capture_on_commit_callbacks):
    grant = invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child",
                         scopes=["show_code"])
    with django_capture_on_commit_callbacks(execute=True):
        record_event(action=Kind.CODE_SHOWN, via=Via.PROXY, actor=son, subject=mother,
                     detail={"grant_id": grant.pk})
    grant.refresh_from_db()
    assert grant.last_used_at is None
    assert _texts_to(mother) == []


def test_when_her_son_reads_her_records_the_use_is_remembered_but_she_is_not_texted(
        mother_user, mother, son, django_capture_on_commit_callbacks):
    client, grant = _son_acting_for(mother_user, son, ["view_records"])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get("/records/").status_code == 200
    grant.refresh_from_db()
    assert grant.last_used_at is not None
    assert AuditEvent.objects.get(action=Kind.RECORDS_VIEWED).detail == {"grant_id": grant.pk}
    assert _texts_to(mother) == []


def test_when_her_son_activates_her_code_for_her_she_is_texted_once(mother, son, django_capture_on_commit_callbacks):
    mother_user = make_citizen(mother, active=False)
    grant = invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child", scopes=["act"])
    with django_capture_on_commit_callbacks(execute=True):
        client_for(son).post(f"/family/{grant.public_id}/activate/", {"agree": "on"})
    grant.refresh_from_db()
    assert grant.last_used_at is not None
    assert ["替您开通了医保码" in text for text in _texts_to(mother)] == [True]


# --- each state change in one transaction --------------------------------------------------------------------


@pytest.fixture
def helper(db) -> User:
    return User.objects.create_user("+8613600136004", "a-long-helper-password", role=Role.HELPER,
                                    display_name="王志强")


def _session_she_agreed_to(helper, mother, tasks: list[str]) -> AssistSession:
    kiosk, _token = assist_actions.register_kiosk(by=helper, name="翠苑1号机", location="翠苑社区服务中心")
    session = assist_actions.start_session(helper=helper, kiosk=kiosk, citizen=mother, tasks=tasks)
    assist_actions.send_consent_code(session)
    return assist_actions.consent_by_code(session, code=latest_code_sent_to(mother.phone))


def test_a_wrong_code_read_out_at_the_kiosk_still_costs_her_a_try(helper, mother):
    from accounts.models import OneTimeCode

    kiosk, _token = assist_actions.register_kiosk(by=helper, name="翠苑1号机", location="翠苑社区服务中心")
    session = assist_actions.start_session(helper=helper, kiosk=kiosk, citizen=mother, tasks=[Task.ACTIVATE])
    assist_actions.send_consent_code(session)
    wrong = "000000" if latest_code_sent_to(mother.phone) != "000000" else "111111"
    with pytest.raises(assist_actions.AssistError, match="还可以再试4次"):
        assist_actions.consent_by_code(session, code=wrong)
    assert OneTimeCode.objects.get().tries == 1
    assert assist_actions.consent_by_code(session, code=latest_code_sent_to(mother.phone)).status == "active"


def test_a_family_member_bound_at_the_kiosk_is_not_left_behind_when_the_session_cannot_note_it(
        helper, mother, son, monkeypatch):
    session = _session_she_agreed_to(helper, mother, [Task.BIND_FAMILY])

    def broken(*args, **kwargs):
        raise RuntimeError("the session row could not be written")

    monkeypatch.setattr(assist_actions, "mark_done", broken)
    with pytest.raises(RuntimeError):
        assist_actions.bind_family_for_citizen(session, phone_e164=son.phone, relationship="child",
                                               scopes=["show_code"])
    assert not ProxyGrant.objects.exists()
    assert not AuditEvent.objects.filter(action=Kind.FAMILY_GRANTED).exists()


def test_a_staff_review_without_its_audit_row_does_not_count(helper, mother, monkeypatch):
    staff = User.objects.create_user("+8613600136005", "a-long-staff-password", role=Role.STAFF)
    kiosk, _token = assist_actions.register_kiosk(by=helper, name="翠苑1号机", location="翠苑社区服务中心")
    session = assist_actions.start_session(helper=helper, kiosk=kiosk, citizen=mother, tasks=[Task.ACTIVATE])
    session = assist_actions.consent_witnessed(session, reason="她的手机没带，家人联系不上")
    assert session.needs_review

    def broken(**kwargs):
        raise RuntimeError("the audit row could not be written")

    monkeypatch.setattr(assist_actions, "record_event", broken)
    with pytest.raises(RuntimeError):
        assist_actions.review_witnessed(session, staff=staff)
    session.refresh_from_db()
    assert session.needs_review and session.reviewed_by is None
