from django.urls import path

from assist import views

app_name = "assist"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("kiosk/register/", views.register_kiosk, name="register_kiosk"),
    path("start/", views.start, name="start"),
    path("approve/<uuid:session_id>/", views.family_approval, name="family_approval"),
    path("review/<uuid:session_id>/", views.review, name="review"),
    path("review/<uuid:session_id>/undo/", views.undo, name="undo"),
    path("s/<uuid:session_id>/", views.session_home, name="session"),
    path("s/<uuid:session_id>/consent/", views.consent, name="consent"),
    path("s/<uuid:session_id>/consent/status/", views.consent_status, name="consent_status"),
    path("s/<uuid:session_id>/activate/", views.do_activate, name="activate"),
    path("s/<uuid:session_id>/family/", views.do_bind_family, name="bind_family"),
    path("s/<uuid:session_id>/code/", views.do_show_code, name="show_code"),
    path("s/<uuid:session_id>/records/", views.do_records, name="records"),
    path("s/<uuid:session_id>/chronic/", views.do_chronic, name="chronic"),
    path("s/<uuid:session_id>/claim/", views.do_claim, name="claim"),
    path("s/<uuid:session_id>/filing/", views.do_file_filing, name="file_filing"),
    path("s/<uuid:session_id>/complaint/", views.do_complaint, name="complaint"),
    path("s/<uuid:session_id>/end/", views.end, name="end"),
]
