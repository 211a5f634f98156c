from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "services"
    verbose_name = _("办事")

    def ready(self) -> None:
        from services.push import register_services_live  # models: needs the app registry

        register_services_live()
        from payments.payouts import register_payout_listener  # models: needs the app registry
        from services.actions import claim_payout_settled  # models: needs the app registry

        register_payout_listener(claim_payout_settled)
        from core.feedback_events import register_event_owner  # beside the other start-up registrations
        from services.selectors import decided_owner  # models: needs the app registry

        for prefix in ("filing", "entitlement", "claim"):  # the survey once it is decided (feedback)
            register_event_owner(prefix, decided_owner(prefix))
