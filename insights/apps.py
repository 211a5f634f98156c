from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "insights"
    verbose_name = _("服务指标")

    def ready(self) -> None:
        from core.funnel import register_funnel_sink  # in ready(): the sink's module needs the app registry
        from insights.funnel import record_step  # in ready(): needs the app registry

        register_funnel_sink(record_step)
