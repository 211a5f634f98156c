from django.urls import path

from assist import help_point_views, views, visit_views

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
    # 帮办点 (public) and 上门服务 (her pages, then the helper's)
    path("help-points/", help_point_views.help_points, name="help_points"),
    path("help-points/<uuid:point_id>/", help_point_views.help_point, name="help_point"),
    path("visits/", visit_views.visit_queue, name="visits"),
    path("visits/mine/", visit_views.my_visits, name="my_visits"),
    path("visits/new/", visit_views.visit_new, name="visit_new"),
    path("visits/<uuid:visit_id>/", visit_views.visit_detail, name="visit"),
    path("visits/<uuid:visit_id>/cancel/", visit_views.visit_cancel, name="visit_cancel"),
    path("visits/<uuid:visit_id>/work/", visit_views.visit_work, name="visit_work"),
    path("visits/<uuid:visit_id>/accept/", visit_views.visit_accept, name="visit_accept"),
    path("visits/<uuid:visit_id>/schedule/", visit_views.visit_schedule, name="visit_schedule"),
    path("visits/<uuid:visit_id>/start/", visit_views.visit_start, name="visit_start"),
    path("visits/<uuid:visit_id>/done/", visit_views.visit_done, name="visit_done"),
]
