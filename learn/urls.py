from django.urls import include, path

app_name = "learn"
urlpatterns = [
    path("", include("learn.tutorial_urls")),
    path("practice/", include("learn.practice_urls")),
]
