from django.urls import path

from learn import practice_views

urlpatterns = [
    path("", practice_views.start, name="practice_start"),
    path("join/", practice_views.join, name="practice_join"),
    path("class/", practice_views.class_start, name="practice_class"),
    path("counter/<str:secret>/", practice_views.counter, name="practice_counter"),
    path("<uuid:public_id>/", practice_views.home, name="practice_home"),
    path("<uuid:public_id>/code/", practice_views.code, name="practice_code"),
]
