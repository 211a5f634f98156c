"""Live updates: apps publish events (`publish(kind, audience, ref)`), register how each kind looks
(`register_fragment`) and who may watch whom (`register_watch_provider`); `live` owns the sockets."""

from live.fragments import register_current_state, register_fragment
from live.publish import (
    Event,
    close_session_sockets,
    publish,
    publish_all,
    to_counters,
    to_person,
    to_user,
    to_watchers,
)
from live.watchers import register_counter_access, register_watch_provider

__all__ = [
    "Event",
    "close_session_sockets",
    "publish",
    "publish_all",
    "register_counter_access",
    "register_current_state",
    "register_fragment",
    "register_watch_provider",
    "to_counters",
    "to_person",
    "to_user",
    "to_watchers",
]
