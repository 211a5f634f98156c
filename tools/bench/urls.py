"""The portal's URLs plus `/bench/bare/`: a signed-in view that does nothing, served through the same middleware
and the same server, so the code page's requests per second have something to be compared with; and
`/bench/floor/`, the settlement loop's plumbing alone (tools/bench/floor.py)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from tools.bench.floor import FLOOR_PATH, floor_settlement


@login_required
def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/bare/", bare),
    path(FLOOR_PATH.strip("/") + "/", floor_settlement),
    path("", include("portal.urls")),
]
handler404 = "portal.views.error_404"
handler500 = "portal.views.error_500"
