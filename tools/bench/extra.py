"""Room for more figures in the same `python manage.py bench` run.

A later issue (voice synthesis for elder mode) adds its figures here: write an async function that takes
the `BenchContext` and returns a `Section`, and register it under a key::

    @register_measurement(VOICE_SYNTHESIS)
    async def measure_voice_synthesis(ctx: BenchContext) -> Section:
        seconds = await ctx.in_thread(synthesize_many, ...)   # blocking work and the ORM go to a thread
        return Section(VOICE_SYNTHESIS, "Voice synthesis", latencies={"text → audio": Latency.of_seconds(seconds)})

The runner runs every registered measurement after the built-in ones (or only those named with
``--measure``) while the server, the worker and the citizens' sockets are still up, and prints its
section in the same table and JSON.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tools.bench.context import BenchContext
    from tools.bench.report import Section

VOICE_SYNTHESIS = "voice"

ExtraMeasurement = Callable[["BenchContext"], Awaitable["Section"]]
_REGISTERED: dict[str, ExtraMeasurement] = {}


def register_measurement(key: str) -> Callable[[ExtraMeasurement], ExtraMeasurement]:
    """Add a measurement to the benchmark under `key` (also the name `--measure` takes)."""

    def register(measurement: ExtraMeasurement) -> ExtraMeasurement:
        if key in _REGISTERED and _REGISTERED[key] is not measurement:
            raise ValueError(f"a benchmark measurement named {key!r} is already registered")
        _REGISTERED[key] = measurement
        return measurement

    return register


def unregister_measurement(key: str) -> None:
    _REGISTERED.pop(key, None)


def extra_measurements() -> dict[str, ExtraMeasurement]:
    return dict(_REGISTERED)
