from __future__ import annotations

from django.db import connection
from django.db.models import F, Q
from django.utils import timezone

from assist.models import IDLE_LIMIT, AssistSession, HelperArea, HomeVisit, SessionStatus, Task, VisitStatus


def open_sessions_of(helper):
    cutoff = timezone.now() - IDLE_LIMIT
    return AssistSession.objects.filter(helper=helper, status=SessionStatus.ACTIVE, last_activity_at__gte=cutoff)


def watched_by_helper(user) -> list[int]:
    """A helper's open, consented session lets the kiosk see that citizen's settlements live."""
    if not getattr(user, "is_authenticated", False) or getattr(user, "role", None) != "helper":
        return []
    return list(open_sessions_of(user).values_list("citizen_id", flat=True))


def session_for_attachment(user, attachment) -> int | None:
    """The open, consented session in which this helper may see a document photo of hers: one whose chosen
    tasks include the request the photo belongs to. Registered with services at start-up (assist.apps)."""
    if not getattr(user, "is_authenticated", False) or getattr(user, "role", None) != "helper":
        return None
    task = (Task.FILE_CROSS_REGION if attachment.filing_id else Task.CLAIM if attachment.claim_id
            else Task.CHRONIC)
    for session in open_sessions_of(user).filter(citizen_id=attachment.person_id):
        if task in session.tasks and not session.is_idle:
            return session.pk
    return None


def session_for_helper(helper, public_id) -> AssistSession | None:
    try:
        return AssistSession.objects.select_related("citizen", "kiosk").filter(helper=helper, public_id=public_id).first()
    except (ValueError, TypeError):
        return None


def has_pending_remote_approvals(user) -> bool:
    """Asked on every page a citizen opens and nearly always no: one indexed lookup in plain SQL, a third of
    what the ORM's `exists()` costs to build (docs/scale.md, "Her code page")."""
    table = AssistSession._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {table} WHERE consent_proxy_id = %s AND status = %s LIMIT 1",  # noqa: S608
                       [user.pk, SessionStatus.AWAITING_CONSENT.value])
        return cursor.fetchone() is not None


def pending_remote_approvals_for(user):
    """Sessions waiting for this family member's remote approval."""
    return AssistSession.objects.filter(consent_proxy=user, status=SessionStatus.AWAITING_CONSENT).select_related(
        "helper", "citizen")


def visit_queue_for(helper) -> list[HomeVisit]:
    """上门服务 for a helper: new requests in his districts, then those he took and has not finished; the ones
    with a day first, soonest first."""
    districts = list(HelperArea.objects.filter(helper=helper).values_list("district", flat=True))
    return list(HomeVisit.objects.filter(
        Q(status=VisitStatus.REQUESTED, district__in=districts)
        | Q(helper=helper, status__in=(VisitStatus.ACCEPTED, VisitStatus.SCHEDULED, VisitStatus.IN_PROGRESS)))
        .select_related("person").order_by(F("scheduled_on").asc(nulls_last=True), "created_at"))
