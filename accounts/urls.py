from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.sign_in, name="login"),
    path("logout/", views.sign_out, name="logout"),
    path("worker/login/", views.worker_sign_in, name="worker_login"),
    path("worker/totp/", views.worker_totp, name="worker_totp"),
]
