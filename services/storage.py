"""Kept because services' migration 0001 names `services.storage.private_storage`; the storage is core's."""

from core.storage import private_storage

__all__ = ["private_storage"]
