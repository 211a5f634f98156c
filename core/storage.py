"""Where uploads people make are kept: a folder outside the static and media roots, never served by URL. A page
that shows one (a document photo, a complaint's recording) streams it through a view that checks who is asking.
Leaf module: no app."""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage


def private_storage() -> FileSystemStorage:
    # A callable, so tests that point PRIVATE_MEDIA_ROOT elsewhere get the folder they set.
    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)
