from django.urls import path

from family import views

app_name = "family"
urlpatterns = [
    path("", views.hub, name="hub"),
    path("add/", views.add, name="add"),
    path("invite/", views.invite, name="invite"),
    path("stop/", views.stop_acting, name="stop_acting"),
    path("help/", views.ask_help, name="ask_help"),
    path("<uuid:grant_id>/consent/", views.consent, name="consent"),
    path("<uuid:grant_id>/answer/", views.answer, name="answer"),
    path("<uuid:grant_id>/revoke/", views.revoke, name="revoke"),
    path("<uuid:grant_id>/restore/", views.restore, name="restore"),
    path("<uuid:grant_id>/renew/", views.renew, name="renew"),
    path("<uuid:grant_id>/act/", views.start_acting, name="start_acting"),
    path("<uuid:grant_id>/activate/", views.activate_for, name="activate_for"),
]
