"""Figures the staff dashboard needs from feature apps' own tables (satisfaction, complaints), which
`insights` may not import (docs/design.md §2). The owning app registers a provider in its `AppConfig.ready`;
without one the dashboard says "暂无数据".

A provider takes (start, end, region_code or "") — an aware datetime range, end exclusive — and returns a
dict of plain numbers:
- "satisfaction": {"answers": int, "satisfied": int, "okay": int, "unsatisfied": int,
  "dimensions": {"convenience"|"negative"|"service"|"publicity"|"standard"|"recommend": (count, sum)}}
- "complaints": {"due": int (due within the range), "answered_in_time": int, "breached": int}

Leaf module: it imports no app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SourceProvider = Callable[[Any, Any, str], dict]
_sources: dict[str, SourceProvider] = {}


def register_insight_source(name: str, provider: SourceProvider) -> None:
    """Called at start-up; registering a name again replaces its provider (autoreload)."""
    _sources[name] = provider


def insight_source(name: str) -> SourceProvider | None:
    return _sources.get(name)
