from django.urls import path

from feedback import staff_views

app_name = "feedback_staff"
urlpatterns = [
    path("", staff_views.inbox, name="inbox"),
    path("<uuid:public_id>/", staff_views.complaint, name="complaint"),
    path("<uuid:public_id>/recording/", staff_views.recording, name="recording"),
]
