from django.urls import path

from services import staff_views

app_name = "services_staff"
urlpatterns = [
    path("", staff_views.queue, name="queue"),
    path("filings/<uuid:public_id>/", staff_views.filing, name="filing"),
    path("chronic/<uuid:public_id>/", staff_views.entitlement, name="entitlement"),
    path("claims/<uuid:public_id>/", staff_views.claim, name="claim"),
]
