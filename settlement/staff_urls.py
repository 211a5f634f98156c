from django.urls import path

from settlement import staff_views

app_name = "staff_offline"
urlpatterns = [
    path("", staff_views.queue, name="queue"),
    path("<uuid:dispute_id>/close/", staff_views.close, name="close"),
    path("flagged/<uuid:settlement_id>/checked/", staff_views.clear_flag, name="clear_flag"),
]
