from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.staff import staff_required


@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    return render(request, "services/staff_queue.html", {})
