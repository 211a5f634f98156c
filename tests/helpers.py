"""Helpers that several test modules share, so that no test module imports another's: 奶奶's activation as
she types it and her 50-yuan bill (a page's live socket: tests/socket_helpers.py; the personas and fixtures:
conftest.py)."""

from __future__ import annotations

from django.test import Client

from conftest import latest_code_sent_to

# 奶奶's identity as she types it on the activation page, and the phone her SMS goes to.
GRANDMA = {"name": "王秀英", "id_number": "330100194403121123", "phone": "13800138001"}
GRANDMA_PHONE = "+8613800138001"

# 50.00 yuan of A-class pills at an outpatient counter.
BILL = {"visit_type": "outpatient", "items": [
    {"code": "X01", "name": "阿莫西林胶囊", "category": "A", "quantity": "2", "unit_price": "25.00"}]}


def activate_all_the_way(client: Client) -> None:
    """奶奶 activates her e-voucher through the pages: identity and SMS code, confirm, agree (large print)."""
    client.post("/activate/", {**GRANDMA, "action": "send_sms"})
    verified = client.post("/activate/", {**GRANDMA, "code": latest_code_sent_to(GRANDMA_PHONE), "action": "verify"})
    assert verified.url == "/activate/confirm/"
    assert client.post("/activate/confirm/").url == "/activate/agree/"
    response = client.post("/activate/agree/", {"agree": "on", "elder_mode": "1"})
    assert response.url == "/code/"
