"""Live updates travel through Redis: a message sent to a group reaches a listener in that group."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.conf import settings

pytestmark = pytest.mark.service


@pytest.mark.service
def test_a_group_message_reaches_a_listener_through_redis(services):
    sender = get_channel_layer()
    assert isinstance(sender, RedisPubSubChannelLayer)
    # A separate layer, with its own connections: the message can only travel through Redis.
    listener = RedisPubSubChannelLayer(**settings.CHANNEL_LAYERS["default"]["CONFIG"])
    group = f"settlement-{uuid.uuid4().hex}"

    async def listen_then_receive() -> dict:
        channel = await listener.new_channel()
        await listener.group_add(group, channel)
        try:
            await sender.group_send(group, {"type": "settlement.status", "status": "paid", "amount": "12.50"})
            return await asyncio.wait_for(listener.receive(channel), timeout=5)
        finally:
            await listener.group_discard(group, channel)

    received = async_to_sync(listen_then_receive)()

    assert received == {"type": "settlement.status", "status": "paid", "amount": "12.50"}


@pytest.mark.service
def test_a_listener_outside_the_group_hears_nothing(services):
    layer = get_channel_layer()
    group = f"settlement-{uuid.uuid4().hex}"

    async def send_and_listen_inside_and_elsewhere() -> tuple[dict, bool]:
        member, outsider = await layer.new_channel(), await layer.new_channel()
        await layer.group_add(group, member)
        try:
            await layer.group_send(group, {"type": "settlement.status", "status": "paid"})
            # The group's own member hears it (so the silence below is not a message that never went out)...
            heard = await asyncio.wait_for(layer.receive(member), timeout=5)
        finally:
            await layer.group_discard(group, member)
        try:
            await asyncio.wait_for(layer.receive(outsider), timeout=1)
        except TimeoutError:
            return heard, False
        return heard, True

    heard, outsider_heard = async_to_sync(send_and_listen_inside_and_elsewhere)()
    assert heard == {"type": "settlement.status", "status": "paid"}
    assert outsider_heard is False  # ...and the outsider does not


@pytest.mark.service
def test_pushes_from_a_worker_thread_reuse_their_redis_connections(services):
    """A Celery task publishes from plain sync code, each time on whatever thread runs it. Sixty pushes from
    sixty fresh threads travel over the process's one push loop: a handful of Redis connections, not one or
    more per push (docs/scale.md), and every message arrives."""
    import threading

    import redis

    from live.publish import _run

    layer = get_channel_layer()
    listener = RedisPubSubChannelLayer(**settings.CHANNEL_LAYERS["default"]["CONFIG"])
    group = f"push-{uuid.uuid4().hex}"

    async def join() -> str:
        channel = await listener.new_channel()
        await listener.group_add(group, channel)
        return channel

    info = redis.Redis.from_url(settings.REDIS_URL)

    def push(n: int) -> None:
        async def send() -> None:
            await layer.group_send(group, {"type": "live.fragment", "n": n})

        _run(layer, send)

    def push_from_sixty_threads() -> int:
        before = info.info("stats")["total_connections_received"]
        for n in range(60):
            thread = threading.Thread(target=push, args=(n,))
            thread.start()
            thread.join(5)
        return info.info("stats")["total_connections_received"] - before

    async def scenario() -> tuple[list[int], int]:
        # The listener's loop keeps running while the threads push: a subscription hears only while it listens.
        channel = await join()
        opened = await asyncio.to_thread(push_from_sixty_threads)
        got = []
        while len(got) < 60:
            got.append((await asyncio.wait_for(listener.receive(channel), timeout=5))["n"])
        await listener.group_discard(group, channel)
        return got, opened

    got, opened = async_to_sync(scenario)()
    assert sorted(got) == list(range(60))
    assert opened <= 6, f"{opened} Redis connections for 60 pushes"
