from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FamilyConfig(AppConfig):
    name = "family"
    verbose_name = _("亲情账户")

    def ready(self) -> None:
        from family import receivers  # noqa: F401  (connects the audit receiver)
        from family.selectors import settlement_notice_audience, watchable_person_ids
        from settlement.watchers import register_notice_audience, register_watch_provider

        register_watch_provider(watchable_person_ids)
        register_notice_audience(settlement_notice_audience)
