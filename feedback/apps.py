from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = _("评价、投诉和求助")

    def ready(self) -> None:
        from feedback.push import register_feedback_live  # loads models: only once the registry is ready

        register_feedback_live()
        from core.insight_sources import register_insight_source  # in ready(): beside the providers it registers
        from feedback.insight_figures import complaints, satisfaction  # loads models: registry must be ready

        register_insight_source("satisfaction", satisfaction)
        register_insight_source("complaints", complaints)
