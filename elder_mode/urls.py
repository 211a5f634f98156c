from django.urls import path

from elder_mode import views
from elder_mode.voice import views as voice_views

app_name = "elder_mode"
urlpatterns = [
    path("switch/", views.switch, name="switch"),
    path("voice-settings/", views.voice_settings, name="voice_settings"),
    path("glossary/", views.glossary, name="glossary"),
    path("keepalive/", views.keepalive, name="keepalive"),
    path("voice/say", voice_views.say, name="voice_say"),
    path("voice/<str:lang>/<str:rate>/<slug:key>.audio", voice_views.guide_audio, name="voice_guide"),
]
