from django.urls import path

from settlement.consumers import CounterStatusConsumer, PersonStatusConsumer

websocket_urlpatterns = [
    path("ws/status/", PersonStatusConsumer.as_asgi()),
    path("ws/counter/", CounterStatusConsumer.as_asgi()),
]
