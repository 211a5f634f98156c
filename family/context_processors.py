from django.http import HttpRequest

from family.middleware import ENDED_KEY


def acting_for(request: HttpRequest) -> dict:
    grant = getattr(request, "acting_grant", None)
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    ended = session.get(ENDED_KEY) if session is not None and user is not None and user.is_authenticated else None
    return {"acting_grant": grant, "acting_person": grant.principal if grant else None, "acting_ended": ended}
