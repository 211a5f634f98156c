from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssistConfig(AppConfig):
    name = "assist"
    verbose_name = _("帮办")

    def ready(self) -> None:
        from assist.selectors import watched_by_helper
        from settlement.watchers import register_watch_provider

        register_watch_provider(watched_by_helper)
