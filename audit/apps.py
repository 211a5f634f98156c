from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("账户记录")

    def ready(self) -> None:
        from core.voice_pack_events import register_clip_event_recorder  # filled once apps are loaded (ready hook)

        register_clip_event_recorder(_record_clip_event)


def _record_clip_event(kind_value: str, *, actor, clip) -> object:
    """A dialect clip recorded, approved or rejected (core/voice_pack_events.py): staff's record, no citizen's."""
    from audit.actions import record_event  # models are not importable while apps.py itself loads
    from audit.models import Via  # same reason

    via = Via.STAFF if getattr(actor, "role", "") == "staff" else Via.SELF
    return record_event(action=kind_value, via=via, actor=actor, detail={
        "clip": str(clip.public_id), "pack": clip.pack.code, "guide": clip.guide_key, "status": clip.status})
