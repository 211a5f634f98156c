from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "notices"
    verbose_name = _("消息提醒")

    def ready(self) -> None:
        from accounts.models import OutboundMessage  # models: needs the app registry
        from audit.models import AuditEvent  # models: needs the app registry
        from notices.receivers import on_audit_event, on_message_saved  # models: needs the app registry

        post_save.connect(on_audit_event, sender=AuditEvent, dispatch_uid="notices.on_audit_event")
        post_save.connect(on_message_saved, sender=OutboundMessage, dispatch_uid="notices.on_message_saved")
