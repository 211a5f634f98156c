"""Signing out closes the open page's socket even when the socket lives in another process: the close
travels through Redis to the ASGI server, and her other signed-in browser keeps hearing her settlement."""

from __future__ import annotations

import pytest
from django.test import Client
from websockets.exceptions import ConnectionClosed

from conftest import make_citizen, make_person
from service.service_processes import open_status_socket, signed_post
from vouchers.codes import issue_code_token

pytestmark = [pytest.mark.service, pytest.mark.django_db(transaction=True)]

BILL = {"visit_type": "outpatient", "items": [
    {"code": "X01", "name": "阿莫西林胶囊", "category": "A", "quantity": "2", "unit_price": "25.00"}]}


@pytest.mark.service
def test_signing_out_closes_her_page_on_the_server_and_her_other_browser_still_hears_her_settlement(
    asgi_server, institution,
):
    grandma = make_citizen(make_person(name="王秀英"))
    phone, tablet = Client(), Client()
    for browser in (phone, tablet):
        browser.force_login(grandma, backend="accounts.backends.PhonePasswordBackend")

    with open_status_socket(asgi_server, phone.cookies["sessionid"].value) as on_phone, \
            open_status_socket(asgi_server, tablet.cookies["sessionid"].value) as on_tablet:
        assert phone.post("/accounts/logout/").status_code == 302
        with pytest.raises(ConnectionClosed) as closed:
            on_phone.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401, asgi_server.describe()

        response = signed_post(asgi_server, institution, "/api/v1/settlements",
                               {**BILL, "code": issue_code_token(grandma.person.voucher.public_id)})
        assert response.status_code == 202, response.text + "\n" + asgi_server.describe()
        assert 'id="settlement-status"' in on_tablet.recv(timeout=10)
