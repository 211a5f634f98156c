from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy

from portal import views
from portal.api import api

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("dev/outbox/", views.dev_outbox, name="dev_outbox"),
    path("accounts/", include("accounts.urls")),
    path("account/record/", include("audit.urls")),
    path("account/enrollment/", include("insurance.urls")),
    path("records/", include("settlement.urls")),
    path("family/", include("family.urls")),
    path("assist/", include("assist.urls")),
    path("rescue/", include("feedback.callback_urls")),
    path("counter/", include("counter.urls")),
    path("services/", include("services.urls")),
    path("payments/", include("payments.urls")),
    path("notices/", include("notices.urls")),
    path("staff/offline/", include("settlement.staff_urls")),
    path("staff/services/", include("services.staff_urls")),
    path("feedback/", include("feedback.urls")),
    path("staff/complaints/", include("feedback.staff_urls")),
    path("staff/insights/", include("insights.urls")),
    path("elder/", include("elder_mode.urls")),
    path("learn/", include("learn.urls")),
    path("staff/voice-packs/", include("elder_mode.pack_urls")),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("vouchers.urls")),
]

handler404 = "portal.views.error_404"
handler500 = "portal.views.error_500"

admin.site.site_header = gettext_lazy("医保通 管理")
_ = settings
