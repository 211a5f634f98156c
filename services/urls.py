from django.urls import path, register_converter

from services import benefits, entitlement_views, hub_views, views
from services.catalogue import ServiceSlugConverter

register_converter(ServiceSlugConverter, "service")

app_name = "services"
urlpatterns = [
    path("", hub_views.catalogue, name="catalogue"),
    path("travel/", hub_views.travel_check, name="travel_check"),
    path("benefits/", benefits.benefits, name="benefits"),
    path("estimate/", benefits.estimate, name="estimate"),
    path("chronic/", entitlement_views.chronic, name="chronic"),
    path("chronic/apply/", entitlement_views.apply, name="chronic_apply"),
    path("chronic/<uuid:public_id>/", entitlement_views.entitlement, name="chronic_entitlement"),
    path("chronic/<uuid:public_id>/cancel/", entitlement_views.cancel, name="chronic_cancel"),
    path("filing/", views.filing_start, name="filing_start"),
    path("filings/", views.filings, name="filings"),
    path("filings/<uuid:public_id>/", views.filing, name="filing"),
    path("filings/<uuid:public_id>/change/", views.filing_change, name="filing_change"),
    path("filings/<uuid:public_id>/cancel/", views.filing_cancel, name="filing_cancel"),
    path("attachments/<uuid:public_id>/", views.attachment, name="attachment"),
    path("<service:slug>/", hub_views.service, name="service"),
]
