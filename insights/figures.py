"""The targets, computed from stored events: audit rows (kind, subject, time, detail), the insurance core's
tables, the activation funnel (insights.models.FunnelVisit) and what feature apps register in
core/insight_sources.py. Never invented: a figure the stored events cannot give says so.

Query budget (tests/test_insights.py counts them): the whole page is a fixed number of queries (at most 30)
whatever the amount of data. Counts are done by the database over indexed columns (audit rows by action and
time, by subject and time; the funnel by step and time); each failure finds its receipt through the (subject,
created_at) index; only claim decisions are read row by row, with one read of the holiday table. Measured on
SQLite with a year of 329,000 audit rows (110,000 settlements, 5,500 of them failed): 0.4 s for the year,
0.15 s for a month.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from audit.kinds import Kind
from audit.models import AuditEvent, Via
from core.funnel import STEPS
from core.insight_sources import insight_source
from insights.models import FunnelStep, FunnelVisit
from insurance.filings import Entitlement, Filing, Holiday
from insurance.models import InsuredPerson
from insurance.workdays import add_working_days

SUCCESS_TARGET = Decimal("95")
FALLBACK_P95_TARGET_SECONDS = 5 * 60
SATISFACTION_TARGET = Decimal("85")
ELDER_AGE = 60
RECEIPT_WINDOW = dt.timedelta(days=1)
DIMENSIONS = ("convenience", "negative", "service", "publicity", "standard", "recommend")


@dataclass(frozen=True)
class Scope:
    start: dt.datetime  # aware, inclusive
    end: dt.datetime  # aware, exclusive
    region: str = ""  # a city code, or "" for every region


@dataclass
class Figure:
    """One line of the dashboard: the value, its target, and whether it is met, in words."""

    key: str
    label: str
    value: Decimal | None  # a percentage, or seconds for times; None: no data
    unit: str  # "%" | "s" | "n"
    target: str
    met: bool | None  # None: no numeric target, or no data
    numerator: int | None = None
    denominator: int | None = None
    note: str = ""

    @property
    def shown(self) -> str:
        if self.value is None:
            return _("暂无数据")
        if self.unit == "%":
            return f"{self.value}%"
        if self.unit == "s":
            return _("%(m)d分%(s)d秒") % {"m": int(self.value) // 60, "s": int(self.value) % 60}
        return str(int(self.value))

    @property
    def verdict(self) -> str:
        if self.value is None:
            return _("暂无数据")
        if self.met is None:
            return _("未定目标")
        return _("达标") if self.met else _("未达标")


@dataclass
class Dashboard:
    figures: list[Figure]
    funnel: list[tuple[str, str, int]]  # (step, label, visitors)
    dimensions: list[tuple[str, Decimal | None, int]] = field(default_factory=list)  # (label, mean 1-5, answers)
    has_data: bool = True


def percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def p95(values: Iterable[float]) -> Decimal | None:
    """The 95th percentile by the nearest-rank method: the smallest value at or above 95% of the values."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = math.ceil(0.95 * len(ordered))
    return Decimal(ordered[rank - 1]).quantize(Decimal("1"), rounding=ROUND_HALF_UP)


def _events(scope: Scope, *kinds: Kind) -> QuerySet[AuditEvent]:
    rows = AuditEvent.objects.filter(action__in=[k.value for k in kinds], created_at__gte=scope.start,
                                     created_at__lt=scope.end)
    if scope.region:
        rows = rows.filter(subject__region_code=scope.region)
    return rows


def activation(scope: Scope) -> Figure:
    """Active vouchers / insured people, as at the end of the period (vouchers' own table belongs to a feature
    app). A voucher only moves inactive → active (activated), active → suspended, suspended → active
    (reactivated), so it is active exactly when it has more activation rows than suspension rows: one grouped
    count over the few voucher rows, not a look-up per person."""
    people = InsuredPerson.objects.all()
    rows = AuditEvent.objects.filter(
        created_at__lt=scope.end,
        action__in=[Kind.VOUCHER_ACTIVATED, Kind.VOUCHER_REACTIVATED, Kind.VOUCHER_SUSPENDED])
    if scope.region:
        people = people.filter(region_code=scope.region)
        rows = rows.filter(subject__region_code=scope.region)
    active = rows.values("subject_id").annotate(
        on=Count("pk", filter=Q(action__in=[Kind.VOUCHER_ACTIVATED, Kind.VOUCHER_REACTIVATED])),
        off=Count("pk", filter=Q(action=Kind.VOUCHER_SUSPENDED))).filter(on__gt=F("off")).count()
    everyone = people.count()
    return Figure("activation_rate", _("医保码开通率"), percent(active, everyone), "%",
                  _("未定数值目标，看趋势"), None, active, everyone)


def funnel(scope: Scope) -> list[tuple[str, str, int]]:
    visits = FunnelVisit.objects.filter(at__gte=scope.start, at__lt=scope.end)
    if scope.region:
        visits = visits.filter(region_code=scope.region)
    counts = dict(visits.values_list("step").annotate(n=Count("pk")).values_list("step", "n"))
    labels = dict(FunnelStep.choices)
    return [(step, str(labels[step]), counts.get(step, 0)) for step in STEPS]


def elder_use(scope: Scope) -> list[Figure]:
    """Active users: citizens who did something themselves in the period (an audit row with them as actor
    and via "self"). Of them, those aged 60 or more at the period's end, and of those, with elder mode on."""
    actors = AuditEvent.objects.filter(created_at__gte=scope.start, created_at__lt=scope.end, via=Via.SELF,
                                       actor__isnull=False).values("actor")
    users = User.objects.filter(pk__in=actors, role=Role.CITIZEN, person__isnull=False)
    if scope.region:
        users = users.filter(person__region_code=scope.region)
    last_day = (scope.end - dt.timedelta(microseconds=1)).date()
    born_by = last_day.replace(year=last_day.year - ELDER_AGE) if not (
        last_day.month == 2 and last_day.day == 29) else dt.date(last_day.year - ELDER_AGE, 2, 28)
    counts = users.aggregate(
        active=Count("pk"), older=Count("pk", filter=Q(person__birth_date__lte=born_by)),
        elder_mode=Count("pk", filter=Q(person__birth_date__lte=born_by, elder_mode=True)))
    return [
        Figure("over_60_share", _("活跃用户中60岁以上的比例"), percent(counts["older"], counts["active"]), "%",
               _("未定数值目标，看趋势"), None, counts["older"], counts["active"]),
        Figure("elder_mode_share", _("60岁以上活跃用户中使用长者模式的比例"),
               percent(counts["elder_mode"], counts["older"]), "%", _("未定数值目标，看趋势"), None,
               counts["elder_mode"], counts["older"]),
        Figure("voice_share", _("60岁以上活跃用户中使用语音播报的比例"), None, "%", _("未定数值目标，看趋势"), None,
               note=_("无法从已存数据得出：语音播报的设置只存在她的浏览器里，没有记录。")),
    ]


def settlements(scope: Scope) -> list[Figure]:
    finals = dict(_events(scope, Kind.SETTLEMENT_SETTLED, Kind.SETTLEMENT_FAILED, Kind.SETTLEMENT_MANUAL)
                  .values_list("action").annotate(n=Count("pk")).values_list("action", "n"))
    settled = finals.get(Kind.SETTLEMENT_SETTLED.value, 0)
    final = sum(finals.values())
    rate = percent(settled, final)
    success = Figure("settlement_success", _("结算成功率"), rate, "%", _("不低于95%"),
                     None if rate is None else rate >= SUCCESS_TARGET, settled, final)
    # Failure → alternative: the failed/manual row carries the next step; its time minus the received time.
    # The received row is found beside each failure through the (subject, created_at) index, within a day before
    # it (the watchdog moves anything unfinished to manual after 5 minutes: docs/design.md §3).
    received = AuditEvent.objects.filter(
        action=Kind.SETTLEMENT_RECEIVED, subject_id=OuterRef("subject_id"),
        created_at__lte=OuterRef("created_at"), created_at__gte=OuterRef("created_at") - RECEIPT_WINDOW,
        detail__settlement=OuterRef("detail__settlement")).order_by("-created_at").values("created_at")[:1]
    failures = list(_events(scope, Kind.SETTLEMENT_FAILED, Kind.SETTLEMENT_MANUAL)
                    .annotate(received_at=Subquery(received)).values_list("created_at", "received_at"))
    waits = [(at - got).total_seconds() for at, got in failures if got is not None]
    value = p95(waits)
    fallback = Figure("fallback_p95", _("结算失败到给出替代办法的时间（95%分位）"), value, "s", _("不超过5分钟"),
                      None if value is None else value <= FALLBACK_P95_TARGET_SECONDS, len(waits), len(failures))
    push = Figure("counter_push_p95", _("柜台结算到手机收到推送的时间（95%分位）"), None, "s", _("越短越好"), None,
                  note=_("无法从已存数据得出：推送送达手机的时间没有记录，不做估算。"))
    return [success, fallback, push]


def within_limits(scope: Scope) -> list[Figure]:
    figures = []
    for key, label, model in (("filings_on_time", _("异地就医备案按时办结"), Filing),
                              ("entitlements_on_time", _("门诊慢特病按时办结"), Entitlement)):
        rows = model.objects.filter(decided_at__gte=scope.start, decided_at__lt=scope.end, due_by__isnull=False)
        if scope.region:
            rows = rows.filter(person__region_code=scope.region)
        counts = rows.aggregate(n=Count("pk"), ok=Count("pk", filter=Q(decided_at__lte=F("due_by"))))
        figures.append(_on_time(key, label, counts["ok"], counts["n"]))
    # Claims belong to a feature app: the decision row's time against the promised limit counted from the
    # (re)submission row, as services counts it (CLAIM_REVIEW_WORKING_DAYS working days).
    decisions = list(_events(scope, Kind.CLAIM_APPROVED, Kind.CLAIM_RETURNED, Kind.CLAIM_REFUSED)
                     .values_list("detail__claim", "created_at", "subject_id"))
    submitted: dict[str, list[dt.datetime]] = {}
    if decisions:
        for claim, at in AuditEvent.objects.filter(
                action__in=[Kind.CLAIM_SUBMITTED, Kind.CLAIM_CHANGED], subject_id__in={d[2] for d in decisions},
                created_at__lt=scope.end).values_list("detail__claim", "created_at"):
            submitted.setdefault(claim, []).append(at)
    days = settings.CLAIM_REVIEW_WORKING_DAYS
    calendar: dict[dt.date, bool] = {}
    if submitted:
        # One read of the holiday table for every claim, not one per claim (the query budget above).
        first = timezone.localtime(min(min(times) for times in submitted.values())).date()
        calendar = dict(Holiday.objects.filter(day__gte=first, day__lte=scope.end.date() + dt.timedelta(
            days=days * 2 + 30)).values_list("day", "is_working_day"))
    ok = n = 0
    for claim, at, _subject in decisions:
        starts = [s for s in submitted.get(claim, []) if s <= at]
        if not starts:
            continue
        n += 1
        ok += at <= add_working_days(max(starts), days, calendar)
    figures.append(_on_time("claims_on_time", _("手工报销按时办结"), ok, n))
    return figures


def _on_time(key: str, label: str, ok: int, n: int) -> Figure:
    value = percent(ok, n)
    return Figure(key, label, value, "%", _("全部在承诺时限内"), None if value is None else ok == n, ok, n)


def feedback(scope: Scope) -> tuple[list[Figure], list[tuple[str, Decimal | None, int]]]:
    figures: list[Figure] = []
    provider = insight_source("complaints")
    data = provider(scope.start, scope.end, scope.region) if provider else None
    if data:
        value = percent(data["answered_in_time"], data["due"])
        figures.append(Figure("complaints_24h", _("投诉举报24小时内答复"), value, "%", _("全部在24小时内"),
                              None if value is None else data["answered_in_time"] == data["due"],
                              data["answered_in_time"], data["due"]))
    else:
        figures.append(Figure("complaints_24h", _("投诉举报24小时内答复"), None, "%", _("全部在24小时内"), None,
                              note=_("暂无数据：投诉模块还没有提供数字。")))
    provider = insight_source("satisfaction")
    data = provider(scope.start, scope.end, scope.region) if provider else None
    labels = {"convenience": _("便捷"), "negative": _("负面体验"), "service": _("服务"), "publicity": _("宣传"),
              "standard": _("规范"), "recommend": _("愿意推荐")}
    dimensions: list[tuple[str, Decimal | None, int]] = []
    if data:
        value = percent(data["satisfied"], data["answers"])
        figures.append(Figure("satisfaction", _("满意度（选“满意”的比例）"), value, "%", _("不低于85%"),
                              None if value is None else value >= SATISFACTION_TARGET, data["satisfied"],
                              data["answers"]))
        for key in DIMENSIONS:
            count, total = data.get("dimensions", {}).get(key, (0, 0))
            mean = (Decimal(total) / count).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if count else None
            dimensions.append((str(labels[key]), mean, count))
    else:
        figures.append(Figure("satisfaction", _("满意度（选“满意”的比例）"), None, "%", _("不低于85%"), None,
                              note=_("暂无数据：评价模块还没有提供数字。")))
    return figures, dimensions


def helpers_and_proxies(scope: Scope) -> list[Figure]:
    counts = _events(scope, Kind.ASSIST_STARTED, Kind.ASSIST_CONSENTED).values_list("action").annotate(
        n=Count("pk"))
    counts = dict(counts.values_list("action", "n"))
    proxy = AuditEvent.objects.filter(created_at__gte=scope.start, created_at__lt=scope.end, via=Via.PROXY)
    if scope.region:
        proxy = proxy.filter(subject__region_code=scope.region)
    proxy_counts = proxy.aggregate(uses=Count("pk"), proxies=Count("actor", distinct=True))
    no_target = _("未定数值目标，看趋势")
    return [
        Figure("assist_started", _("帮办服务次数"), Decimal(counts.get(Kind.ASSIST_STARTED.value, 0)), "n",
               no_target, None),
        Figure("assist_consented", _("其中本人同意后办理的次数"), Decimal(counts.get(Kind.ASSIST_CONSENTED.value, 0)),
               "n", no_target, None),
        Figure("proxy_uses", _("家人代办次数"), Decimal(proxy_counts["uses"]), "n", no_target, None),
        Figure("proxies", _("代办的家人人数"), Decimal(proxy_counts["proxies"]), "n", no_target, None),
    ]


def dashboard(scope: Scope) -> Dashboard:
    steps = funnel(scope)
    figures = [activation(scope), *elder_use(scope), *settlements(scope), *within_limits(scope)]
    said, dimensions = feedback(scope)
    figures += said + helpers_and_proxies(scope)
    has_data = any(n for _s, _l, n in steps) or any(
        f.denominator for f in figures if f.key != "activation_rate") or any(
        f.value for f in figures if f.unit == "n")
    return Dashboard(figures=figures, funnel=steps, dimensions=dimensions, has_data=bool(has_data))
