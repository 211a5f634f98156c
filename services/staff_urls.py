from django.urls import path

from services import staff_views

app_name = "services_staff"
urlpatterns = [
    path("", staff_views.queue, name="queue"),
]
