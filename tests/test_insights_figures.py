"""The dashboard's figures against a seeded data set whose true values this test computes on its own, in plain
Python over the seed list: the activation funnel (and its drop-off), activation rate, settlement success rate,
the p95 time from a failure to the alternative, satisfaction and its five dimensions, elder use. The seed is
written the way the portal writes it (audit rows, funnel notes, survey answers), each at its own time."""

from __future__ import annotations

import datetime as dt
import math
import random
import re
import uuid
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.utils import timezone

from accounts.models import User
from audit.actions import record_event
from audit.kinds import Kind
from audit.models import Via
from conftest import make_citizen, make_person, make_staff, worker_client
from core.funnel import note_step
from feedback.models import SurveyResponse

TZ = timezone.get_current_timezone()
NOW = dt.datetime(2026, 6, 28, 12, 0, tzinfo=TZ)  # "this month" is June 2026
JUNE = dt.datetime(2026, 6, 1, tzinfo=TZ)
MAY = dt.datetime(2026, 5, 3, tzinfo=TZ)
REGIONS = ("330100", "310000")
STEPS = ("identity", "confirm", "agree", "done")


def pct(part: int, whole: int) -> str:
    return str((Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def nearest_rank_p95(values: list[float]) -> str:
    ordered = sorted(values)
    return str(Decimal(ordered[math.ceil(len(ordered) * 95 / 100) - 1]).quantize(Decimal("1"),
                                                                                   rounding=ROUND_HALF_UP))


def seed_plan(rng: random.Random) -> dict:
    """The whole data set as plain values: what the portal will be made to record, and nothing else."""
    people = [{"region": REGIONS[i % 2], "born": dt.date(1940 + 5 * (i % 7), 3, 1), "active": i % 5 != 0,
               "elder_mode": i % 3 == 0, "used_in_june": i % 4 != 1} for i in range(20)]
    settlements = []
    for _ in range(80):
        person = rng.randrange(len(people))
        received = JUNE + dt.timedelta(days=rng.randrange(0, 26), minutes=rng.randrange(0, 1440))
        status = rng.choices(["settled", "failed", "manual"], weights=[17, 2, 1])[0]
        wait = rng.randrange(2, 40) if status != "manual" else 300 + rng.randrange(0, 30)
        settlements.append({"person": person, "received": received, "status": status,
                            "final": received + dt.timedelta(seconds=wait)})
    # Two in May: outside the period, and must not count.
    settlements += [{"person": 0, "received": MAY, "status": "failed", "final": MAY + dt.timedelta(seconds=900)},
                    {"person": 1, "received": MAY, "status": "settled", "final": MAY + dt.timedelta(seconds=3)}]
    visitors = [{"reached": rng.randrange(1, 5), "region": rng.choice(REGIONS),
                 "at": JUNE + dt.timedelta(days=rng.randrange(0, 26))} for _ in range(50)]
    answers = [{"person": rng.randrange(len(people)), "rating": rng.choices(
        ["satisfied", "okay", "unsatisfied"], weights=[8, 1, 1])[0],
        "dims": [rng.randint(1, 5) for _ in range(6)] if rng.random() < 0.5 else None,
        "at": JUNE + dt.timedelta(days=rng.randrange(0, 26))} for _ in range(40)]
    return {"people": people, "settlements": settlements, "visitors": visitors, "answers": answers}


def record_at(time_machine, moment: dt.datetime, write) -> None:
    time_machine.move_to(moment, tick=False)
    write()


@pytest.fixture
def seeded(db, time_machine) -> dict:
    plan = seed_plan(random.Random(14))
    persons, users = [], []
    for i, p in enumerate(plan["people"]):
        time_machine.move_to(MAY - dt.timedelta(days=30), tick=False)
        person = make_person(region_code=p["region"], birth_date=p["born"], phone=f"+8615900{i:06d}")
        user = make_citizen(person, active=p["active"])  # activation rows are in April: not "used in June"
        User.objects.filter(pk=user.pk).update(elder_mode=p["elder_mode"])
        persons.append(person)
        users.append(user)
        if p["used_in_june"]:
            record_at(time_machine, JUNE + dt.timedelta(days=i), lambda u=user, s=person: record_event(
                action=Kind.RECORDS_VIEWED, via=Via.SELF, actor=u, subject=s))
    for s in plan["settlements"]:
        key = str(uuid.uuid4())
        person = persons[s["person"]]
        record_at(time_machine, s["received"], lambda: record_event(
            action=Kind.SETTLEMENT_RECEIVED, via=Via.INSTITUTION, subject=person, detail={"settlement": key}))
        kind = {"settled": Kind.SETTLEMENT_SETTLED, "failed": Kind.SETTLEMENT_FAILED,
                "manual": Kind.SETTLEMENT_MANUAL}[s["status"]]
        record_at(time_machine, s["final"], lambda k=kind: record_event(
            action=k, via=Via.SYSTEM, subject=person, detail={"settlement": key}))
    for n, v in enumerate(plan["visitors"]):
        for i in range(v["reached"]):
            # The region is known from the second screen on, as in vouchers/views.py.
            record_at(time_machine, v["at"] + dt.timedelta(minutes=i), lambda i=i: note_step(
                STEPS[i], f"visitor-{n}", v["region"] if i else ""))
    for n, a in enumerate(plan["answers"]):
        dims = dict(zip(("convenience", "negative", "service", "publicity", "standard", "recommend"),
                        a["dims"] or [None] * 6, strict=True))
        record_at(time_machine, a["at"], lambda: SurveyResponse.objects.create(
            person=persons[a["person"]], event_key=f"settlement:seed-{n}", rating=a["rating"], **dims))
    time_machine.move_to(NOW, tick=False)
    return plan


def expected(plan: dict, region: str = "") -> dict:
    people = plan["people"]
    mine = [i for i, p in enumerate(people) if not region or p["region"] == region]
    in_june = [s for s in plan["settlements"] if s["person"] in mine and s["final"] >= JUNE]
    settled = sum(s["status"] == "settled" for s in in_june)
    waits = [(s["final"] - s["received"]).total_seconds() for s in in_june if s["status"] != "settled"]
    visitors = [v for v in plan["visitors"] if not region or (v["region"] == region and v["reached"] >= 2)]
    funnel = [sum(v["reached"] > i for v in visitors) for i in range(4)]
    answers = [a for a in plan["answers"] if a["person"] in mine]
    end_of_june = dt.date(2026, 6, 30)
    used = [i for i in mine if people[i]["used_in_june"]]
    older = [i for i in used if people[i]["born"] <= end_of_june.replace(year=end_of_june.year - 60)]
    return {
        "activation_rate": pct(sum(people[i]["active"] for i in mine), len(mine)),
        "settlement_success": pct(settled, len(in_june)),
        "fallback_p95": nearest_rank_p95(waits),
        "satisfaction": pct(sum(a["rating"] == "satisfied" for a in answers), len(answers)),
        "over_60_share": pct(len(older), len(used)),
        "elder_mode_share": pct(sum(people[i]["elder_mode"] for i in older), len(older)),
        "funnel": funnel,
        "drop": [None] + [pct(funnel[i - 1] - funnel[i], funnel[i - 1]) for i in range(1, 4)],
        "convenience": str((Decimal(sum(a["dims"][0] for a in answers if a["dims"]))
                            / sum(1 for a in answers if a["dims"])).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)),
    }


def shown(client, query: str) -> dict:
    body = client.get(f"/staff/insights/?{query}").content.decode()
    figures = dict(re.findall(r'data-key="([a-z0-9_]+)" data-value="([^"]*)"', body))
    funnel = [int(n) for n in re.findall(r'data-step="[a-z]+" data-visitors="(\d+)"', body)]
    drops = [d or None for d in re.findall(r'data-visitors="\d+" data-drop-rate="([^"]*)"', body)]
    convenience = re.search(r"<th scope=\"row\">便捷</th><td>([^<]+)</td>", body)
    return {**figures, "funnel": funnel, "drop": drops, "convenience": convenience.group(1) if convenience else None}


@pytest.fixture
def staff_client(db):
    return worker_client(make_staff())


@pytest.mark.parametrize("region", ["", "330100", "310000"])
def test_the_dashboard_shows_the_true_values_of_the_seeded_month(seeded, staff_client, region):
    truth = expected(seeded, region)
    page = shown(staff_client, f"period=month&region={region}")
    for key in ("activation_rate", "settlement_success", "fallback_p95", "satisfaction", "over_60_share",
                "elder_mode_share", "funnel", "drop", "convenience"):
        assert page[key] == truth[key], key


def test_the_seed_is_not_trivial(seeded):
    """The data set exercises what it checks: failures and a manual move, a success rate under and around the
    target, every funnel step losing someone, and a p95 above the 5-minute target."""
    truth = expected(seeded)
    assert truth["funnel"] == sorted(truth["funnel"], reverse=True) and len(set(truth["funnel"])) == 4
    assert int(truth["fallback_p95"]) > 300
    assert Decimal(truth["settlement_success"]) < 100


def test_the_csv_carries_the_same_figures(seeded, staff_client):
    truth = expected(seeded)
    text = staff_client.get("/staff/insights/export.csv?period=month").content.decode("utf-8-sig")
    assert f"结算成功率,{truth['settlement_success']}," in text
    assert f"满意度（选“满意”的比例）,{truth['satisfaction']}," in text
    assert f"核验身份,{truth['funnel'][0]}," in text
