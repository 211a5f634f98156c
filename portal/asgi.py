import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from live.auth import live_auth_stack  # noqa: E402
from portal.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(live_auth_stack(URLRouter(websocket_urlpatterns))),
    }
)

# Everything loaded so far (Django, every app, the compiled templates' modules) lives as long as the process.
# Frozen, the collector stops walking it on each full collection, which stops the event loop (0.1-1.3 s with
# 3,000 sockets a process; docs/scale.md, "The second pass").
gc.freeze()
