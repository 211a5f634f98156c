"""The publishers of the push measurement and of the soak, each in a process of its own: committing a settlement
and rendering its fragments is CPU work, and done in threads of the bench process it held the GIL while the same process's event loop
was stamping fragments as they arrived, so the clock counted the bench's own waiting. Started with `spawn` (a
fresh interpreter, no copy of the parent's event loop, sockets or database connections)."""

from __future__ import annotations

import contextlib
import itertools
import logging
import time

SOAK_BATCH = 100  # pre-settled rows made at a time by a soak publisher


def settle_and_push(rows: list[tuple[int, str]], channel_config: dict, interval: float = 0.0) -> dict[str, float]:
    """Commit each pre-settled row as settled and push it on commit, as the worker does, one every `interval`
    seconds (0: as fast as it can). Returns when each was committed (time.time(), the clock the bench's sockets
    stamp with)."""
    _prepare(channel_config)
    from django.db import connections  # after django.setup()

    committed: dict[str, float] = {}
    next_at = time.monotonic()
    try:
        for settlement_id, public_id in rows:
            next_at = _wait_turn(next_at, interval)
            _settle_and_push(settlement_id, public_id, committed)
    finally:
        connections.close_all()
    return committed


def _wait_turn(next_at: float, interval: float) -> float:
    """Sleep until this publisher's next turn; returns the one after (never more than 1 s of catching up)."""
    pause = next_at - time.monotonic()
    if pause > 0:
        time.sleep(pause)
    return max(next_at + interval, time.monotonic() - 1.0)


def _settle_and_push(settlement_id: int, public_id: str, committed: dict[str, float]) -> None:
    """The worker's final step for one pre-settled row, its push on commit; `committed` gets the commit's time."""
    from django.db import transaction  # after django.setup()

    from settlement.push import push_settlement  # models: after django.setup()
    from tools.bench.people import mark_settled  # models: after django.setup()

    with transaction.atomic():
        mark_settled(settlement_id)
        # Registered first, so it runs first after COMMIT: the clock starts at the commit, then the push.
        transaction.on_commit(lambda: committed.__setitem__(public_id, time.time()))
        transaction.on_commit(lambda: push_settlement(settlement_id))


def _prepare(channel_config: dict) -> None:
    """Django set up in this spawned process (once), sending to the bench's Redis servers."""
    import django  # a spawned process starts bare: Django is set up here, before anything that needs it

    django.setup()
    from channels.layers import channel_layers  # after django.setup(), as below
    from django.conf import settings  # after django.setup()

    if settings.CHANNEL_LAYERS["default"]["CONFIG"] != channel_config:
        settings.CHANNEL_LAYERS["default"]["CONFIG"] = dict(channel_config)
        channel_layers.backends.clear()


def warm_up(channel_config: dict) -> bool:
    """Before the clock starts, what a long-running worker has done long ago: Django imported, the fragments'
    templates compiled, a database connection and the Redis connections to every shard open."""
    _prepare(channel_config)
    from channels.layers import get_channel_layer  # after django.setup(), as below
    from django.conf import settings  # after django.setup()
    from django.db import connection  # after django.setup()
    from django.template.loader import get_template  # after django.setup()
    from django.utils import translation  # after django.setup()

    from counter.push import TEMPLATE as COUNTER_TEMPLATE  # templates: after django.setup()
    from live.loop import run_on_push_loop  # after django.setup()
    from settlement.push import TEMPLATES  # models: after django.setup()

    with translation.override(settings.LANGUAGE_CODE):  # the message catalogue loads on first use
        for name in [*TEMPLATES.values(), COUNTER_TEMPLATE]:
            with contextlib.suppress(Exception):  # an empty context may not render: compiling is the point
                get_template(name).render({})
    connection.ensure_connection()
    connection.close()
    layer = get_channel_layer()

    async def touch_every_shard() -> None:
        for n in range(8):  # group names hash over the shards: eight reach both with near certainty
            await layer.group_send(f"bench-warm-up-{n}", {"type": "bench.nothing"})

    run_on_push_loop(touch_every_shard, timeout=10)
    return True


class _FailedSends(logging.Handler):
    """live.publish logs (and swallows) every send that failed: each such line is a message lost at publishing."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def soak_publish(citizens: list, institution, sons: set[int], channel_config: dict, interval: float,
                 until: float) -> tuple[dict[str, float], list[str], int]:
    """Settle and push for these citizens in turn, one every `interval` seconds, until `until` (time.time()).
    Returns when each was committed, those whose son's page should hear it too, and the sends that failed."""
    _prepare(channel_config)
    from django.db import connections  # after django.setup()

    from tools.bench.people import create_presettled  # models: after django.setup()

    failures = _FailedSends()
    logging.getLogger("live.publish").addHandler(failures)
    committed: dict[str, float] = {}
    expected_son: list[str] = []
    turn = itertools.cycle(citizens)
    next_at = time.monotonic()
    try:
        while time.time() < until:
            batch = [next(turn) for _ in range(SOAK_BATCH)]
            for (settlement_id, public_id), citizen in zip(create_presettled(batch, institution), batch, strict=True):
                if time.time() >= until:
                    break
                next_at = _wait_turn(next_at, interval)
                _settle_and_push(settlement_id, public_id, committed)
                if citizen.index in sons:
                    expected_son.append(public_id)
    finally:
        connections.close_all()
    return committed, expected_son, failures.count
