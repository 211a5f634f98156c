"""Her data to take away: a streamed JSON document in the published format (docs/export-schema-v1.json), with her
full identifiers for herself and masked ones for a proxy with view_records, whose download she reads about in
her account record and by SMS; a printable page that stays printable for a long history."""

from __future__ import annotations

import datetime as dt
import json
import tracemalloc
import uuid
from decimal import Decimal
from pathlib import Path

import jsonschema_rs
import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.test import AsyncClient
from django.utils import timezone, translation

from accounts.models import OutboundMessage
from audit.kinds import Kind
from audit.models import AuditEvent, Via
from conftest import client_for
from core.crypto import blind_index
from elder_mode.voice.guides import guide_text
from family.actions import invite_proxy
from insurance.filings import ChronicCondition, Entitlement, Filing, FilingType, ReviewStatus
from insurance.models import Contribution
from services.export import astream, settlements, stream
from services.models import Claim, ClaimStatus
from settlement.models import Settlement, SettlementItem

D = Decimal
SCHEMA = json.loads((Path(settings.BASE_DIR) / "docs" / "export-schema-v1.json").read_text(encoding="utf-8"))
MEMORY_BUDGET = 8 * 1024 * 1024  # bytes; see test_5000_settlements_stream_within_a_fixed_memory_budget


def validate(document: dict) -> None:
    jsonschema_rs.Draft202012Validator(SCHEMA, validate_formats=True).validate(document)


def download(client) -> tuple[object, dict]:
    response = client.get("/services/my-data/export.json")
    assert response.status_code == 200
    assert response.streaming
    return response, json.loads(b"".join(response.streaming_content))


def son_acting_for(mother_user, son, scopes):
    grant = invite_proxy(principal_user=mother_user, phone_e164=son.phone, relationship="child", scopes=scopes)
    client = client_for(son)
    client.post(f"/family/{grant.public_id}/act/")
    return client, grant


def a_settlement(person, institution, n: int, status: str = "settled") -> Settlement:
    return Settlement(institution=institution, person=person, voucher=person.voucher, code_nonce=uuid.uuid4().hex,
                      visit_type="outpatient", status=status, total=D("130.00"),
                      fund_pay=D("80.00") if status == "settled" else None,
                      account_pay=D("20.00") if status == "settled" else None,
                      self_pay=D("30.00") if status == "settled" else None,
                      breakdown={"total": "130.00", "fund_pay": "80.00", "account_pay": "20.00", "self_pay": "30.00",
                                 "category_c": "30.00", "notes": []} if status == "settled" else {},
                      reason="" if status == "settled" else "医保系统暂时连不上")


def with_items(saved: list[Settlement]) -> None:
    SettlementItem.objects.bulk_create([
        item for s in saved for item in (
            SettlementItem(settlement=s, code="A001", name="阿莫西林胶囊", category="A", quantity=D("2"),
                           unit_price=D("50.00"), amount=D("100.00")),
            SettlementItem(settlement=s, code="C001", name="保健品", category="C", quantity=D("1"),
                           unit_price=D("30.00"), amount=D("30.00")))])


@pytest.fixture
def her_history(mother, mother_user, institution):
    """A little of everything: contributions, two bills (one failed), a filing, an entitlement, a claim."""
    today = timezone.localdate()
    Contribution.objects.create(person=mother, period=str(today.year), amount=D("380.00"), paid_on=today,
                                payer="本人")
    with_items(Settlement.objects.bulk_create([a_settlement(mother, institution, 1),
                                               a_settlement(mother, institution, 2, status="failed")]))
    Filing.objects.create(person=mother, region_code="310000", filing_type=FilingType.TEMPORARY,
                          valid_from=today, valid_until=today + dt.timedelta(days=60), status=ReviewStatus.APPROVED)
    Entitlement.objects.create(person=mother, condition=ChronicCondition.objects.get(code="M01600"),
                               status=ReviewStatus.APPROVED, valid_from=today, valid_until=today + dt.timedelta(days=300))
    Claim.objects.create(person=mother, institution_name="杭州市中医院", institution_level="tertiary",
                         region_code="330100", visit_date=today, visit_type="outpatient",
                         items=[{"code": "A1", "name": "挂号", "category": "A", "quantity": "1", "unit_price": "20.00"}],
                         total=D("20.00"), invoice_total=D("20.00"), destination="bank", status=ClaimStatus.PENDING)
    return mother


def test_her_download_is_an_attachment_in_the_published_format_with_everything(mother_client, mother, her_history):
    response, document = download(mother_client)
    assert response["Content-Disposition"].startswith('attachment; filename="yibaotong-')
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Type"].startswith("application/json")
    validate(document)
    assert document["format"] == "yibaotong.personal-data" and document["version"] == "1"
    person = document["person"]
    assert (person["name"], person["id_number"], person["identifiers"]) == ("王秀英", "330100194403121123", "full")
    assert document["downloaded_by"] == {"via": "self", "name": ""}
    assert document["enrollment"]["account_balance"] == "2380.50"
    assert [c["amount"] for c in document["contributions"]] == ["380.00"]
    assert [s["status"] for s in document["settlements"]] == ["settled", "failed"]
    first = document["settlements"][0]
    assert [i["category"] for i in first["items"]] == ["A", "C"] and first["breakdown"]["category_c"] == "30.00"
    assert document["settlements"][1]["reason"] == "医保系统暂时连不上"
    assert len(document["filings"]) == 1 and len(document["entitlements"]) == 1
    assert document["claims"][0]["institution_name"] == "杭州市中医院"
    assert document["claims"][0]["payout"] is None
    kinds = [e["kind"] for e in document["account_record"]]
    assert Kind.VOUCHER_ACTIVATED in kinds and kinds[-1] == Kind.DATA_EXPORTED  # this download is in it
    assert document["account_record"][-1]["what"] == "下载了您的全部资料"
    event = AuditEvent.objects.get(action=Kind.DATA_EXPORTED, subject=mother)
    assert event.via == Via.SELF and event.detail == {"format": "json"}


def test_a_proxys_download_masks_her_identifiers_and_she_is_told(mother_user, mother, son, her_history):
    client, grant = son_acting_for(mother_user, son, ["view_records"])
    to_her = OutboundMessage.objects.filter(phone_index=blind_index("phone", mother.phone))
    sent_before = to_her.count()
    _response, document = download(client)
    validate(document)
    person = document["person"]
    assert person["identifiers"] == "masked"
    assert person["name"] == "王**" and person["id_number"] == "330***********1123"
    assert "13800138001" not in json.dumps(document) and "330100194403121123" not in json.dumps(document)
    assert document["downloaded_by"]["via"] == "proxy" and document["downloaded_by"]["name"] == son.masked_name
    # Whom she gave access to comes from family, through the registry (services never imports family).
    [given] = document["proxies"]
    assert given["id"] == str(grant.public_id) and given["proxy_name"] == son.masked_name
    assert [s["code"] for s in given["scopes"]] == ["view_records"] and "13900139002" not in given["proxy_phone"]
    event = AuditEvent.objects.get(action=Kind.DATA_EXPORTED, subject=mother)
    assert event.via == Via.PROXY and event.detail["grant_id"] == grant.pk
    assert to_her.count() == sent_before + 1 and "下载了医保通里的全部资料" in to_her.order_by("-id").first().body
    record = client_for(mother_user).get("/account/record/").content.decode()
    assert "下载了您的全部资料" in record


def test_without_view_records_a_proxy_gets_nothing_and_a_stranger_only_his_own(
        mother_user, mother, son, stranger_client, client, her_history):
    proxy, _grant = son_acting_for(mother_user, son, ["show_code", "act"])
    for address in ("/services/my-data/", "/services/my-data/export.json", "/services/my-data/print/"):
        response = proxy.get(address)
        assert response.status_code == 403, address
        assert "王秀英" not in response.content.decode()
        signed_out = client.get(address)
        assert signed_out.status_code == 302 and "login" in signed_out.url
    _response, document = download(stranger_client)
    assert document["person"]["name"] == "赵大海" and document["settlements"] == []
    assert not AuditEvent.objects.filter(action=Kind.DATA_EXPORTED, subject=mother).exists()


def test_the_page_says_what_is_in_it_and_offers_the_download_and_the_print(mother_client, her_history):
    body = mother_client.get("/services/my-data/").content.decode()
    assert "下载全部资料（JSON）" in body and 'href="/services/my-data/export.json"' in body
    assert 'href="/services/my-data/print/"' in body and "共2次" in body
    assert guide_text("my_data") in body


def test_under_asgi_the_download_is_an_async_stream_of_the_same_document(mother_user, mother, her_history):
    client = AsyncClient()
    client.force_login(mother_user, backend="accounts.backends.PhonePasswordBackend")

    async def fetch() -> tuple[bool, bytes]:
        response = await client.get("/services/my-data/export.json")
        assert response.status_code == 200
        return response.is_async, b"".join([chunk async for chunk in response.streaming_content])

    is_async, body = async_to_sync(fetch)()
    assert is_async
    validate(json.loads(body))


def test_a_sync_stream_handed_to_asgi_is_sent_chunk_by_chunk():
    async def collect() -> list[bytes]:
        return [chunk async for chunk in astream(iter([b"a", b"b", b"c"]))]

    assert async_to_sync(collect)() == [b"a", b"b", b"c"]


def test_5000_settlements_stream_within_a_fixed_memory_budget_and_validate(mother, mother_user, institution,
                                                                           tmp_path):
    """Budget: the streamed download of 5,000 settlements (10,000 items) peaks under 8 MB of Python allocations
    (tracemalloc): it holds one batch of 500 settlements and one 64 KB chunk at a time, however long her
    history. Measured on SQLite: the stream peaked at 3.2 MB for a 3.9 MB document; building the same
    settlements in memory first (a list of rows, then one json.dumps, as a non-streaming view would) peaked at
    28 MB, about 5.6 KB more for every settlement."""
    client = client_for(mother_user)
    # Warm up outside the measure: what the first request of a process loads once (URL resolver, middleware,
    # translation catalogues, the audit and SMS paths) is not the stream's memory.
    download(client)
    for start in range(0, 5000, 1000):
        saved = Settlement.objects.bulk_create([a_settlement(mother, institution, n)
                                                for n in range(start, start + 1000)])
        with_items(saved)
    out = tmp_path / "export.json"

    tracemalloc.start()
    try:
        response = client.get("/services/my-data/export.json")
        size = 0
        with out.open("wb") as sink:
            for chunk in response.streaming_content:
                sink.write(chunk)
                size += len(chunk)
        _current, streamed_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        rows = list(settlements(mother))
        whole = json.dumps(rows, default=str, ensure_ascii=False)
        _current, built_peak = tracemalloc.get_traced_memory()
        del rows, whole
    finally:
        tracemalloc.stop()

    assert response.streaming
    assert size > 3 * 2**20  # the document is real: about 3.9 MB
    assert streamed_peak < MEMORY_BUDGET, f"{streamed_peak / 2**20:.1f} MB"
    assert streamed_peak * 3 < built_peak  # and it is not the in-memory build under another name
    document = json.loads(out.read_bytes())
    validate(document)
    assert len(document["settlements"]) == 5000
    assert sum(len(s["items"]) for s in document["settlements"]) == 10000


def test_the_chunks_are_bounded_and_follow_the_pages_language(mother, mother_user, her_history):
    # Run after the view returned (as a server does), in whatever language is active then: the page's still.
    with translation.override("zh-hans"):
        chunks = list(stream(mother, full_identifiers=True, downloaded_by={"via": "self", "name": ""},
                             language="en"))
    document = json.loads(b"".join(chunks))
    validate(document)
    assert document["language"] == "en" and document["settlements"][0]["status_label"] == "Payment done"
    assert all(len(c) < 2 * 64 * 1024 for c in chunks)


def test_the_printable_page_lists_the_latest_200_and_says_the_file_has_all(mother, mother_user, institution):
    saved = Settlement.objects.bulk_create([a_settlement(mother, institution, n) for n in range(230)])
    with_items(saved)
    client = client_for(mother_user)
    response = client.get("/services/my-data/print/")
    assert response.status_code == 200
    body = response.content.decode()
    rows = body.split('data-testid="print-settlements"')[1].split("</section>")[0]
    assert rows.count("<tr>") == 201  # the header and 200 settlements
    assert "一共230次，这里只列最近200次。全部记录在下载的文件（JSON）里。" in body
    assert "330100194403121123" in body and "css/print-statement.css" in body
    assert AuditEvent.objects.get(action=Kind.DATA_EXPORTED, subject=mother).detail == {"format": "print"}


def test_she_finds_it_from_her_account_record_and_the_services_page(mother_client):
    assert 'href="/services/my-data/"' in mother_client.get("/account/record/").content.decode()
    assert 'href="/services/my-data/"' in mother_client.get("/services/").content.decode()


def test_a_proxys_printable_page_masks_her_identifiers_and_is_in_her_record(mother_user, mother, son, her_history):
    client, grant = son_acting_for(mother_user, son, ["view_records"])
    body = client.get("/services/my-data/print/").content.decode()
    assert "330***********1123" in body and "330100194403121123" not in body and "王秀英" not in body
    event = AuditEvent.objects.get(action=Kind.DATA_EXPORTED, subject=mother)
    assert event.via == Via.PROXY and event.detail == {"format": "print", "grant_id": grant.pk}
    assert client.head("/services/my-data/export.json").status_code == 405  # a probe writes nothing
    assert AuditEvent.objects.filter(action=Kind.DATA_EXPORTED, subject=mother).count() == 1
