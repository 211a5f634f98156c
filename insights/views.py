"""The staff dashboard (/staff/insights/): the targets by region and period, each beside its target, with
server-drawn charts and a CSV of the same figures. Staff only, password + TOTP (accounts.staff.staff_required).
Reads only; the figures come from insights/figures.py."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.staff import staff_required
from insights.charts import bar_chart
from insights.figures import SATISFACTION_TARGET, SUCCESS_TARGET, Dashboard, dashboard, percent
from insights.forms import ScopeForm
from insurance.regions import region_name


def funnel_rows(board: Dashboard) -> list[dict]:
    """Each activation screen: how many reached it, as a share of the first, and the drop-off from the one before."""
    rows = []
    first = board.funnel[0][2] if board.funnel else 0
    previous = None
    for step, label, visitors in board.funnel:
        dropped = None if previous is None else previous - visitors
        rows.append({"step": step, "label": label, "visitors": visitors, "of_first": percent(visitors, first),
                     "dropped": dropped, "drop_rate": None if previous is None else percent(dropped, previous)})
        previous = visitors
    return rows


def _charts(board: Dashboard) -> list:
    charts = [bar_chart("chart-funnel", _("开通各步骤到达人数"),
                        [(label, n, _("%(n)d人") % {"n": n}) for _s, label, n in board.funnel],
                        scale=max([n for _s, _l, n in board.funnel] + [1]))]
    shares = [f for f in board.figures if f.unit == "%" and f.value is not None]
    if shares:
        charts.append(bar_chart(
            "chart-rates", _("各项比例"), [(f.label, f.value, f.shown) for f in shares], scale=100,
            target=SUCCESS_TARGET,
            target_words=_("虚线是95%%（结算成功率的目标）；满意度的目标是%(s)s%%。") % {"s": SATISFACTION_TARGET}))
    rated = [(label, mean, str(mean)) for label, mean, _n in board.dimensions if mean is not None]
    if rated:
        charts.append(bar_chart("chart-dimensions", _("五个方面的平均分（满分5分）"), rated, scale=5))
    return charts


def _scope_words(form: ScopeForm) -> str:
    scope = form.scope()
    last = timezone.localtime(scope.end - dt.timedelta(microseconds=1)).date()
    where = region_name(scope.region) if scope.region else _("全部地区")
    return _("%(where)s，%(first)s 至 %(last)s") % {
        "where": where, "first": timezone.localtime(scope.start).date().isoformat(), "last": last.isoformat()}


@never_cache
@staff_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    form = ScopeForm(request.GET or {"period": "month"})
    context: dict = {"form": form}
    if form.is_valid():
        result = dashboard(form.scope())
        context.update(board=result, funnel=funnel_rows(result), charts=_charts(result),
                       scope_words=_scope_words(form), query=urlencode(form.cleaned_query()))
    return render(request, "insights/board.html", context)


@never_cache
@staff_required
@require_GET
def export_csv(request: HttpRequest) -> HttpResponse:
    form = ScopeForm(request.GET or {"period": "month"})
    if not form.is_valid():
        return render(request, "insights/board.html", {"form": form}, status=400)
    scope = form.scope()
    result = dashboard(scope)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime(scope.start).strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="insights-{scope.region or "all"}-{stamp}.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 Chinese correctly only with the byte-order mark
    writer = csv.writer(response)
    writer.writerow([_("范围"), _scope_words(form)])
    writer.writerow([_("指标"), _("数值"), _("分子"), _("分母"), _("目标"), _("是否达标"), _("说明")])
    for f in result.figures:
        writer.writerow([f.label, "" if f.value is None else _plain(f.value), _blank(f.numerator),
                         _blank(f.denominator), f.target, f.verdict, f.note])
    writer.writerow([])
    writer.writerow([_("开通步骤"), _("到达人数"), _("占第一步的比例"), _("比上一步少"), _("流失率")])
    for row in funnel_rows(result):
        writer.writerow([row["label"], row["visitors"], _blank(row["of_first"]), _blank(row["dropped"]),
                         _blank(row["drop_rate"])])
    if result.dimensions:
        writer.writerow([])
        writer.writerow([_("评价的方面"), _("平均分（满分5分）"), _("作答人数")])
        for label, mean, n in result.dimensions:
            writer.writerow([label, _blank(mean), n])
    return response


def _plain(value: Decimal) -> str:
    return format(value, "f")


def _blank(value) -> str:
    return "" if value is None else str(value)
