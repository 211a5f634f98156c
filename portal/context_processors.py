from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    return {"SITE_HOTLINE": settings.SITE_HOTLINE, "DEBUG": settings.DEBUG}
