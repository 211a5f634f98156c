from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SettlementConfig(AppConfig):
    name = "settlement"
    verbose_name = _("结算")

    def ready(self) -> None:
        from settlement.push import register_settlement_live  # loads models: only once the registry is ready

        register_settlement_live()  # settlement's live fragments, her current state, the counter socket's check
