"""Grandma's open page, a real websocket client holding her session cookie, follows her settlement live
while the counter posts the bill through the signed API and a real Celery worker settles it."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from conftest import make_citizen, make_person
from service.service_processes import open_status_socket, session_cookie, signed_post, wait_for_settlement
from settlement.models import Settlement
from vouchers.codes import issue_code_token

pytestmark = [pytest.mark.service, pytest.mark.django_db(transaction=True)]

BILL = {"visit_type": "outpatient", "items": [
    {"code": "X01", "name": "阿莫西林胶囊", "category": "A", "quantity": "2", "unit_price": "25.00"},
    {"code": "J02", "name": "血常规检查", "category": "A", "quantity": "1", "unit_price": "120.00"},
]}
FINAL = ('data-status="settled"', 'data-status="failed"', 'data-status="manual"')
# The stranger's own bill, told apart from hers by its total.
HIS_BILL = {"visit_type": "outpatient", "items": [
    {"code": "X01", "name": "阿莫西林胶囊", "category": "A", "quantity": "3", "unit_price": "25.00"}]}


def _status_of(fragment: str) -> str:
    match = re.search(r'data-status="([a-z]+)"', fragment)
    assert match, fragment
    return match.group(1)


def _yuan(value: Decimal) -> str:
    text = f"{value:.2f}"
    return text[:-3] if text.endswith(".00") else text


@pytest.mark.service
def test_grandmas_page_hears_received_then_the_final_split_in_chinese_and_a_strangers_page_hears_nothing(
    asgi_server, celery_worker, institution,
):
    grandma_user = make_citizen(make_person(name="王秀英", account_balance=Decimal("2380.50")))
    grandma = grandma_user.person
    stranger = make_citizen(make_person(name="赵大海"))
    grandma_session, stranger_session = session_cookie(grandma_user), session_cookie(stranger)

    with open_status_socket(asgi_server, grandma_session) as page, \
            open_status_socket(asgi_server, stranger_session) as strangers_page:
        response = signed_post(asgi_server, institution, "/api/v1/settlements",
                               {**BILL, "code": issue_code_token(grandma.voucher.public_id)})
        assert response.status_code == 202, response.text + "\n" + asgi_server.describe()

        fragments = [page.recv(timeout=10)]
        while not any(final in fragments[-1] for final in FINAL):
            fragments.append(page.recv(timeout=15))
        # Nothing about her settlement reached another citizen's page...
        with pytest.raises(TimeoutError):
            strangers_page.recv(timeout=0.5)
        # ...which does hear his own settlement, first: his socket works, and nothing of hers was on its way.
        his = signed_post(asgi_server, institution, "/api/v1/settlements",
                          {**HIS_BILL, "code": issue_code_token(stranger.person.voucher.public_id)})
        assert his.status_code == 202, his.text + "\n" + asgi_server.describe()
        heard = strangers_page.recv(timeout=10)
        assert 'data-status="received"' in heard and "合计 75.00 元" in heard, heard

    statuses = [_status_of(fragment) for fragment in fragments]
    assert statuses[0] == "received", statuses
    assert "正在结算" in fragments[0]
    assert statuses in (["received", "settled"], ["received", "presettled", "settled"]), \
        f"{statuses}\n{celery_worker.describe()}"

    settled = wait_for_settlement(response.json()["id"], {"settled"}, 5, celery_worker, asgi_server)
    final = fragments[-1]
    assert "结算完成" in final
    assert "测试第一医院" in final and "合计 170.00 元" in final
    for label, testid, amount in (("医保统筹支付", "fund-pay", settled.fund_pay),
                                  ("个人账户支付", "account-pay", settled.account_pay),
                                  ("您自己付", "self-pay", settled.self_pay)):
        assert label in final
        assert f'data-testid="{testid}">{amount:.2f} 元' in final, final
    # The sentence her phone reads aloud in elder mode.
    spoken = html.unescape(re.search(r'data-speak="([^"]*)"', final).group(1))
    assert spoken == (f"结算完成。医保支付{_yuan(settled.fund_pay + settled.account_pay)}元，"
                      f"您自付{_yuan(settled.self_pay)}元。")
    assert "查看消费记录" in final
    assert Settlement.objects.filter(person=grandma).count() == 1


@pytest.mark.service
@pytest.mark.parametrize("cookie", [None, "made-up-session-id"], ids=["no-cookie", "made-up-cookie"])
def test_a_page_without_a_signed_in_session_is_closed_with_4401(asgi_server, cookie):
    with open_status_socket(asgi_server, cookie) as page, pytest.raises(ConnectionClosed) as closed:
        page.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


@pytest.mark.service
def test_a_socket_opened_from_another_site_is_refused_even_with_her_cookie(asgi_server, mother_user):
    from websockets.sync.client import connect

    url = asgi_server.url.replace("http://", "ws://") + "/ws/status/"
    headers = {"Origin": "https://evil.example", "Cookie": f"sessionid={session_cookie(mother_user)}"}
    with pytest.raises(InvalidStatus) as refused:
        connect(url, additional_headers=headers, proxy=None, open_timeout=10)
    assert refused.value.response.status_code == 403
