"""Websocket routes: every socket belongs to `live`."""

from live.routing import websocket_urlpatterns as live_routes

websocket_urlpatterns = [*live_routes]
