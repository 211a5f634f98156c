from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("缴费和支付")

    def ready(self) -> None:
        from payments.push import register_payments_live  # models: needs the app registry

        register_payments_live()
