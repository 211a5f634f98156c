from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiveConfig(AppConfig):
    """Sockets, groups, the consumers and the rendering of pushed fragments; other apps publish events to it
    and register their renderers and watch providers at start-up (docs/architecture.md, "Live updates")."""

    name = "live"
    verbose_name = _("实时更新")

    def ready(self) -> None:
        from live import receivers  # noqa: F401  (ending a session closes its sockets)
