"""Give-up rescue: 请帮办员打电话给我 and the helpers' call-back queue (feedback/callback_views.py)."""

from django.urls import path

from feedback import callback_views as views

app_name = "rescue"
urlpatterns = [
    path("call-me/", views.call_me, name="call_me"),
    path("call-me/done/", views.call_me_done, name="call_me_done"),
    path("family/", views.family_help, name="family_help"),
    path("callbacks/", views.queue, name="queue"),
    path("callbacks/<uuid:callback_id>/take/", views.take, name="take"),
    path("callbacks/<uuid:callback_id>/", views.detail, name="detail"),
]
