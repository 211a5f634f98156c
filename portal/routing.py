"""Websocket routes, collected from the apps."""

from settlement.routing import websocket_urlpatterns as settlement_routes

websocket_urlpatterns = [*settlement_routes]
