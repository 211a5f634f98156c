from django.urls import path, register_converter

from services import benefits, claim_views, entitlement_views, export_views, hub_views, tax_views, views
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
    path("tax/", tax_views.tax_statement, name="tax_statement"),
    path("tax/<int:year>/print/", tax_views.tax_print, name="tax_print"),
    path("tax/verify/<str:token>/", tax_views.tax_verify, name="tax_verify"),
    path("my-data/", export_views.my_data, name="my_data"),
    path("my-data/export.json", export_views.export_json, name="my_data_export"),
    path("my-data/print/", export_views.my_data_print, name="my_data_print"),
    path("claims/", claim_views.claims, name="claims"),
    path("claims/new/", claim_views.claim_new, name="claim_new"),
    path("claims/<uuid:public_id>/", claim_views.claim, name="claim"),
    path("claims/<uuid:public_id>/resubmit/", claim_views.claim_resubmit, name="claim_resubmit"),
    path("<service:slug>/", hub_views.service, name="service"),
]
