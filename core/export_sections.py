"""Sections other apps add to her data download (docs/export-format.md) without the exporting app importing
them: `services` writes the file, `family` knows whom she gave access to, and feature apps never import each
other (docs/design.md §2). An app registers `(name, provider)` in its `AppConfig.ready`; the provider takes the
insured person and yields JSON-ready dicts, one per row, oldest first, reading in chunks (it is streamed).

Leaf module: it imports no app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

SectionProvider = Callable[[Any], Iterable[dict]]  # insured person -> rows
_sections: dict[str, SectionProvider] = {}


def register_export_section(name: str, provider: SectionProvider) -> None:
    """Called at start-up. A name is registered once; registering it again replaces the provider (autoreload)."""
    _sections[name] = provider


def export_section(name: str) -> SectionProvider | None:
    return _sections.get(name)
