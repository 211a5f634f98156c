from django.urls import path

from insights import views

app_name = "insights"
urlpatterns = [
    path("", views.board, name="board"),
    path("export.csv", views.export_csv, name="export"),
]
