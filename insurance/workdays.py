"""Promised time limits count working days: Monday to Friday, less public holidays, plus weekend days
made working days (both are `Holiday` rows staff keep in the admin)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from insurance.filings import Holiday


def _calendar(start: dt.date, end: dt.date) -> dict[dt.date, bool]:
    return dict(Holiday.objects.filter(day__gte=start, day__lte=end).values_list("day", "is_working_day"))


def is_working_day(day: dt.date, calendar: dict[dt.date, bool] | None = None) -> bool:
    calendar = _calendar(day, day) if calendar is None else calendar
    if day in calendar:
        return calendar[day]
    return day.weekday() < 5


def add_working_days(start: dt.datetime, days: int, calendar: dict[dt.date, bool] | None = None) -> dt.datetime:
    """The end of the `days`-th working day after `start` (local time): what "办结时限 N 个工作日" promises.
    `calendar` (the `Holiday` rows of a span covering the answer) saves a query per call when many are asked."""
    local = timezone.localtime(start)
    day = local.date()
    if calendar is None:
        # Enough calendar days to cover any run of holidays around a long break.
        calendar = _calendar(day, day + dt.timedelta(days=days * 2 + 30))
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if is_working_day(day, calendar):
            counted += 1
    end_of_day = dt.datetime.combine(day, dt.time(23, 59, 59))
    return timezone.make_aware(end_of_day, timezone.get_current_timezone())


def working_days_between(start: dt.datetime, end: dt.datetime) -> int:
    """Whole working days from `start`'s day to `end`'s day (0 on the same day)."""
    first, last = timezone.localtime(start).date(), timezone.localtime(end).date()
    if last <= first:
        return 0
    calendar = _calendar(first, last)
    return sum(1 for n in range(1, (last - first).days + 1)
               if is_working_day(first + dt.timedelta(days=n), calendar))
