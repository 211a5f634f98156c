from django.urls import path

from elder_mode import views

app_name = "elder_mode"
urlpatterns = [
    path("switch/", views.switch, name="switch"),
    path("voice-settings/", views.voice_settings, name="voice_settings"),
    path("glossary/", views.glossary, name="glossary"),
    path("keepalive/", views.keepalive, name="keepalive"),
]
