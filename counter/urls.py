from django.urls import path

from counter import views

app_name = "counter"
urlpatterns = [
    path("", views.counter, name="counter"),
    path("batch", views.batch, name="batch"),
    path("offline/", views.offline_setup, name="offline_setup"),
]
