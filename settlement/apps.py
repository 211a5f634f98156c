from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SettlementConfig(AppConfig):
    name = "settlement"
    verbose_name = _("结算")

    def ready(self) -> None:
        from settlement import receivers  # noqa: F401  (ending a session closes its sockets)
