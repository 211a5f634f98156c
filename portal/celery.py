"""The Celery app. Tasks take ids, never objects or personal data, and are safe to run twice."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Periodic jobs (run `celery -A portal beat` in production next to the workers).
app.conf.beat_schedule = {
    "settlement-watchdog": {"task": "settlement.tasks.settlement_watchdog", "schedule": 30.0},
    "settlement-requeue": {"task": "settlement.tasks.requeue_unstarted", "schedule": 60.0},
    "messages-resend-pending": {"task": "accounts.tasks.resend_pending_messages", "schedule": 60.0},
    "payments-reconcile": {"task": "payments.tasks.reconcile_payments", "schedule": 120.0},
    "payouts-reconcile": {"task": "payments.tasks.reconcile_payouts", "schedule": 60.0},
    "notices-release-held": {"task": "notices.tasks.release_held_notices", "schedule": 300.0},
    "notices-weekly-digest": {"task": "notices.tasks.send_weekly_digests",
                              "schedule": crontab(hour=9, minute=0, day_of_week="mon")},
    "complaints-clock": {"task": "feedback.tasks.watch_complaint_clocks", "schedule": 60.0},
    "practice-expiry": {"task": "learn.tasks.delete_expired_practice_sessions", "schedule": 600.0},
}
