from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from live import register_watch_provider


class AssistConfig(AppConfig):
    name = "assist"
    verbose_name = _("帮办")

    def ready(self) -> None:
        from assist.push import SESSION_ENDED, register_assist_live  # models: needs the app registry
        from assist.selectors import session_for_attachment, watched_by_helper  # models: needs the app registry
        from assist.visits import register_visit_notices  # models: needs the app registry
        from services.selectors import register_helper_access  # models: needs the app registry

        register_assist_live()
        register_watch_provider(watched_by_helper, ended=SESSION_ENDED)
        register_helper_access(session_for_attachment)  # her document photos, in a session with the task
        register_visit_notices()  # what each step of a home visit says by SMS (core/notice_texts.py)
