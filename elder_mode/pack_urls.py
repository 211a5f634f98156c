"""/staff/voice-packs/: dialect voice packs for staff and registered volunteers (elder_mode/packs/views.py)."""

from django.urls import path

from elder_mode.packs import views

app_name = "voice_packs"
urlpatterns = [
    path("", views.index, name="index"),
    path("review/", views.review_queue, name="review_queue"),
    path("volunteers/", views.volunteers, name="volunteers"),
    path("clips/<uuid:public_id>/review/", views.review, name="review"),
    path("clips/<uuid:public_id>/audio.mp3", views.clip_audio, name="clip_audio"),
    path("<slug:code>/", views.pack_detail, name="pack"),
    path("<slug:code>/<slug:key>/record/", views.record, name="record"),
]
