"""The live sockets (wired by portal/routing.py)."""

from django.urls import path

from live.consumers import CounterConsumer, StatusConsumer

websocket_urlpatterns = [
    path("ws/status/", StatusConsumer.as_asgi()),
    path("ws/counter/", CounterConsumer.as_asgi()),
]
