from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "services"
    verbose_name = _("办事")

    def ready(self) -> None:
        from services.push import register_services_live  # models: needs the app registry

        register_services_live()
