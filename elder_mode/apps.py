from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ElderModeConfig(AppConfig):
    name = "elder_mode"
    verbose_name = _("长者模式")

    def ready(self) -> None:
        from elder_mode import receivers  # noqa: F401  # connects the sign-in receiver (Django's ready hook)
