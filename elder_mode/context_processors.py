from django.http import HttpRequest


def elder_mode(request: HttpRequest) -> dict:
    return {
        "elder_mode": getattr(request, "elder_mode", False),
        "elder_mode_chosen": getattr(request, "elder_mode_chosen", True),
    }
