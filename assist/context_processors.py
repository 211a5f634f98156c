from django.http import HttpRequest

from assist.selectors import has_pending_remote_approvals, pending_remote_approvals_for


def assist(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    pending = []
    if user is not None and user.is_authenticated and not user.is_worker:
        # Nearly always none: ask with a narrow query first, and fetch the banner's names only when there are.
        if has_pending_remote_approvals(user):
            pending = list(pending_remote_approvals_for(user)[:3])
    return {"kiosk": getattr(request, "kiosk", None), "assist_pending": pending}
