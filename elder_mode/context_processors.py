from django.conf import settings
from django.http import HttpRequest

from elder_mode.help_points import nearest_help_point
from elder_mode.preferences import voice_preferences


def elder_mode(request: HttpRequest) -> dict:
    return {
        "elder_mode": getattr(request, "elder_mode", False),
        "elder_mode_chosen": getattr(request, "elder_mode_chosen", True),
        # The row's expiry slides at most once per SESSION_REFRESH_SECONDS: the page counts from the earliest it may be.
        "session_seconds": settings.SESSION_COOKIE_AGE - settings.SESSION_REFRESH_SECONDS,
        "nearest_help_point": _nearest(request),
        **voice_preferences(request),
    }


def _nearest(request: HttpRequest) -> str:

    person = getattr(request, "subject_person", None)
    return nearest_help_point(getattr(person, "region_code", None))
