from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LearnConfig(AppConfig):
    name = "learn"
    verbose_name = _("学用医保码：教程和练习")

    def ready(self) -> None:
        from learn.tutorials import register_tutorial_guides  # reads elder_mode's guides once apps are loaded

        # The tutorials' step sentences live once, in learn/tutorials.py; elder_mode imports no domain app.
        register_tutorial_guides()
        from learn.practice_push import register_practice_live  # loads models: only once the registry is ready

        # Practice pages' live fragments, who may listen, and the real counters' "this is a practice code" hook.
        register_practice_live()
