"""The live sockets (wired by portal/routing.py)."""

from django.urls import path

from live.consumers import CounterConsumer, StatusConsumer
from live.practice import PracticeConsumer

websocket_urlpatterns = [
    path("ws/status/", StatusConsumer.as_asgi()),
    path("ws/counter/", CounterConsumer.as_asgi()),
    path("ws/practice/", PracticeConsumer.as_asgi()),  # learn's practice pages: no sign-in, the session decides
]
