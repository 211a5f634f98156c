from django.urls import path

from settlement import counter_views

app_name = "counter"
urlpatterns = [
    path("", counter_views.counter, name="counter"),
    path("batch", counter_views.batch, name="batch"),
    path("offline/", counter_views.offline_setup, name="offline_setup"),
]
