from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CounterConfig(AppConfig):
    """The counter thin client for operators: the bill page, offline capture and its upload, and the
    browser's enrolment as an offline terminal (docs/architecture.md, "Apps")."""

    name = "counter"
    verbose_name = _("收费窗口")

    def ready(self) -> None:
        from counter.push import register_counter_live  # models: needs the app registry

        register_counter_live()
