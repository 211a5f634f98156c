"""Counting attempts in the shared cache: at most `limit` in `window` seconds per key.

The window starts with the first counted attempt and the count only ever goes up by an atomic `incr`
(the same add-then-incr style as the institution API limit in settlement/signing.py), so attempts made at
the same moment cannot slip past the limit together. Keys are keyed hashes (core.crypto.blind_index),
never an ID number, phone or address in clear.

If the cache cannot be reached the limiter says so (`LimiterUnavailable`) instead of letting attempts
through uncounted or failing with an error page: callers refuse with a plain "try again later".
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from django.core.cache import cache

logger = logging.getLogger(__name__)


class LimiterUnavailable(Exception):
    """The cache that holds the counts cannot be reached."""


class Limited(Exception):
    """Too many attempts; `retry_after` is how many seconds until the window ends."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Bucket:
    key: str
    limit: int
    window: int  # seconds


def _retry_after(bucket: Bucket, now: float) -> int:
    started = cache.get(f"{bucket.key}:t")
    if not isinstance(started, int | float):
        return bucket.window
    return max(1, math.ceil(started + bucket.window - now))


def take(*buckets: Bucket) -> list[Bucket]:
    """Count one attempt in every bucket, or raise Limited (the longest wait of the full buckets).
    Returns the buckets counted, for `give_back`."""
    now = time.time()
    full: list[int] = []
    try:
        for bucket in buckets:
            # The start time first, so the count never outlives its window; both end together.
            cache.add(f"{bucket.key}:t", now, timeout=bucket.window)
            if cache.add(bucket.key, 1, timeout=bucket.window):
                count = 1
            else:
                try:
                    count = cache.incr(bucket.key)
                except ValueError:  # expired between add and incr
                    cache.set(bucket.key, 1, timeout=bucket.window)
                    cache.set(f"{bucket.key}:t", now, timeout=bucket.window)
                    count = 1
            if count > bucket.limit:
                full.append(_retry_after(bucket, now))
    except Exception as exc:  # any cache backend's connection error; never an error page
        logger.warning("rate limit cache unavailable: %s", type(exc).__name__)
        raise LimiterUnavailable from exc
    if full:
        raise Limited(max(full))
    return list(buckets)


def give_back(buckets: list[Bucket]) -> None:
    """Undo `take` for an attempt that should not count (it succeeded)."""
    try:
        for bucket in buckets:
            try:
                cache.decr(bucket.key)
            except ValueError:  # the window ended meanwhile: nothing to give back
                pass
    except Exception as exc:
        logger.warning("rate limit cache unavailable: %s", type(exc).__name__)
