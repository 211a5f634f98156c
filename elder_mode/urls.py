from django.urls import path

from elder_mode import views

app_name = "elder_mode"
urlpatterns = [path("switch/", views.switch, name="switch")]
