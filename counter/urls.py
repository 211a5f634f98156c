from django.urls import path

from counter import views

app_name = "counter"
urlpatterns = [
    path("", views.counter, name="counter"),
    path("batch", views.batch, name="batch"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("offline/", views.offline_setup, name="offline_setup"),
]
