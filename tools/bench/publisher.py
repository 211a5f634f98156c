"""The push measurement's publishers, each in a process of its own: committing a settlement and rendering its
fragments is CPU work, and done in threads of the bench process it held the GIL while the same process's event loop
was stamping fragments as they arrived, so the clock counted the bench's own waiting. Started with `spawn` (a
fresh interpreter, no copy of the parent's event loop, sockets or database connections)."""

from __future__ import annotations

import time


def settle_and_push(rows: list[tuple[int, str]], channel_hosts: list[str], interval: float = 0.0) -> dict[str, float]:
    """Commit each pre-settled row as settled and push it on commit, as the worker does, one every `interval`
    seconds (0: as fast as it can). Returns when each was committed (time.time(), the clock the bench's sockets
    stamp with)."""
    import django  # a spawned process starts bare: Django is set up here, before anything that needs it

    django.setup()
    from channels.layers import channel_layers  # after django.setup(), as below
    from django.conf import settings  # after django.setup()
    from django.db import connections, transaction  # after django.setup()

    from settlement.push import push_settlement  # models: after django.setup()
    from tools.bench.people import mark_settled  # models: after django.setup()

    settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = channel_hosts
    channel_layers.backends.clear()
    committed: dict[str, float] = {}
    next_at = time.monotonic()
    try:
        for settlement_id, public_id in rows:
            pause = next_at - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            next_at = max(next_at + interval, time.monotonic() - 1.0)  # never more than 1 s of catching up
            with transaction.atomic():
                mark_settled(settlement_id)
                # Registered first, so it runs first after COMMIT: the clock starts at the commit, then the push.
                transaction.on_commit(lambda p=public_id: committed.__setitem__(p, time.time()))
                transaction.on_commit(lambda s=settlement_id: push_settlement(s))
    finally:
        connections.close_all()
    return committed


def warm_up() -> bool:
    """Import Django in a freshly spawned publisher before the clock starts."""
    import django  # a spawned process starts bare

    django.setup()
    return True
