"""Websocket routes. The live settlement status is added with the settlement issue."""

websocket_urlpatterns: list = []
