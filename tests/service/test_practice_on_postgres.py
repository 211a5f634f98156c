"""On PostgreSQL, at the same instant: a room of phones joining one practice class gets one seat each with its own
number (the class row is locked while a seat is numbered), and two practice counters settling the same phone at
once each write their own pretend bill without touching a real table. The lead runs this (service suite)."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.models import OutboundMessage
from audit.models import AuditEvent
from learn.actions import join_class, settle_pretend_bill, start_class
from learn.models import PracticeBill, PracticeSession
from service.at_once import all_at_once
from settlement.models import Settlement

pytestmark = [pytest.mark.service, pytest.mark.django_db(transaction=True)]


def test_twelve_phones_joining_one_class_at_once_get_twelve_different_seats(services):
    assert connection.vendor == "postgresql"
    room = start_class()
    results = all_at_once(12, lambda i: join_class(room.class_code))
    seats = [r for r in results if isinstance(r, PracticeSession)]
    assert len(seats) == 12, results
    numbers = sorted(PracticeSession.objects.filter(parent=room).values_list("seat_number", flat=True))
    assert numbers == list(range(1, 13))


def test_classes_opened_at_once_never_share_a_class_code(services):
    results = all_at_once(8, lambda i: start_class())
    rooms = [r for r in results if isinstance(r, PracticeSession)]
    assert len(rooms) == 8, results
    assert len({room.class_code for room in rooms}) == 8


def test_settling_one_phone_from_two_counters_at_once_touches_nothing_real(services):
    room = start_class()
    seat = join_class(room.class_code)
    before = (Settlement.objects.count(), AuditEvent.objects.count(), OutboundMessage.objects.count())
    results = all_at_once(2, lambda i: settle_pretend_bill(counter=room, seat=seat, quantities={"cold": i + 1}))
    assert all(isinstance(r, PracticeBill) for r in results), results
    assert PracticeBill.objects.filter(session=seat).count() == 2
    assert (Settlement.objects.count(), AuditEvent.objects.count(), OutboundMessage.objects.count()) == before
