"""Percentiles and latency summaries, in milliseconds."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass


def percentile(values: Iterable[float], p: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least p % of the values at or below it."""
    ordered = sorted(values)
    if not ordered:
        return None
    if not 0 <= p <= 100:
        raise ValueError("p must be between 0 and 100")
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Latency:
    """A latency distribution in milliseconds (None when nothing was measured)."""

    count: int
    p50: float | None
    p95: float | None
    p99: float | None
    max: float | None
    mean: float | None

    @classmethod
    def of_seconds(cls, seconds: Iterable[float]) -> Latency:
        ms = [s * 1000 for s in seconds]
        if not ms:
            return cls(0, None, None, None, None, None)
        return cls(len(ms), *(round(percentile(ms, p), 1) for p in (50, 95, 99)),  # type: ignore[arg-type]
                   round(max(ms), 1), round(sum(ms) / len(ms), 1))

    def as_dict(self) -> dict:
        return asdict(self)


def rate(count: int, seconds: float) -> float | None:
    return round(count / seconds, 1) if seconds > 0 and count else None
