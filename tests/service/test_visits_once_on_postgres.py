"""On PostgreSQL, at the same instant: four helpers of her district pressing "接单" on one home visit. One takes it;
the others are told it is taken; one audit row."""

from __future__ import annotations

import pytest
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User
from assist.models import HelperArea, HomeVisit, VisitStatus
from assist.visit_actions import VisitError, accept_visit, request_visit
from audit.models import AuditEvent
from conftest import HELPER_PASSWORD, WORKER_TOTP_KEY
from service.at_once import all_at_once

pytestmark = [pytest.mark.service, pytest.mark.django_db(transaction=True)]


def test_a_visit_accepted_by_four_helpers_at_once_goes_to_one(mother, mother_user):
    assert connection.vendor == "postgresql"
    helpers = []
    for n in range(4):
        user = User.objects.create_user(f"+861360013610{n}", HELPER_PASSWORD, role=Role.HELPER,
                                        display_name=f"帮办员{n}")
        TOTPDevice.objects.create(user=user, name="phone", confirmed=True, key=WORKER_TOTP_KEY)
        HelperArea.objects.create(helper=user, district="330100")
        helpers.append(user)
    visit = request_visit(actor=mother_user, person=mother, service="activate", district="330100",
                          address="杭州市西湖区翠苑一区12幢3单元301", phone="13800138001",
                          preferred_days="any", preferred_time="any")
    results = all_at_once(4, lambda i: accept_visit(visit.pk, helper=helpers[i]))
    won = [r for r in results if isinstance(r, HomeVisit)]
    lost = [r for r in results if isinstance(r, VisitError)]
    assert len(won) == 1 and len(lost) == 3, results
    visit.refresh_from_db()
    assert visit.status == VisitStatus.ACCEPTED and visit.helper_id == won[0].helper_id
    assert AuditEvent.objects.filter(action="assist.visit_accepted").count() == 1
