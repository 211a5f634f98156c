from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SettlementConfig(AppConfig):
    name = "settlement"
    verbose_name = _("结算")

    def ready(self) -> None:
        from settlement.notice_texts import register_settlement_notices  # loads models, as below
        from settlement.push import register_settlement_live  # loads models: only once the registry is ready

        register_settlement_live()  # settlement's live fragments, her current state, the counter socket's check
        from core.feedback_events import register_event_owner  # beside the other start-up registrations
        from settlement.selectors import finished_settlement_owner  # models: needs the app registry

        register_event_owner("settlement", finished_settlement_owner)  # the survey after it (feedback)
        register_settlement_notices()  # what her results say by SMS (core/notice_texts.py)
