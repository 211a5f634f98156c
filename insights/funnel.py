"""The sink insights registers with core/funnel.py: one row per visitor and activation screen."""

from __future__ import annotations

from core.crypto import blind_index
from insights.models import FunnelVisit


def record_step(step: str, visitor: str, region: str) -> None:
    key = blind_index("funnel", visitor)
    FunnelVisit.objects.get_or_create(visitor=key, step=step, defaults={"region_code": region})
    if region:
        # Her region is known from the confirm screen on; the screens before it learn it now.
        FunnelVisit.objects.filter(visitor=key, region_code="").update(region_code=region)
