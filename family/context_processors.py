from django.http import HttpRequest


def acting_for(request: HttpRequest) -> dict:
    grant = getattr(request, "acting_grant", None)
    return {"acting_grant": grant, "acting_person": grant.principal if grant else None}
