from django.urls import path

from settlement import views

app_name = "settlement"
urlpatterns = [
    path("", views.records, name="records"),
    path("<uuid:settlement_id>/", views.receipt, name="receipt"),
    path("not-me/<str:token>/", views.not_me, name="not_me"),
]
