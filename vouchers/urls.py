from django.urls import path

from vouchers import views

app_name = "vouchers"
urlpatterns = [
    path("activate/", views.identity, name="activate"),
    path("activate/confirm/", views.confirm, name="confirm"),
    path("activate/agree/", views.agree, name="agree"),
    path("code/", views.code, name="code"),
    path("code/large/", views.code, name="code_large"),
    path("code/card/", views.code_card, name="code_card"),
    path("code/lost/", views.lost_phone, name="lost_phone"),
]
