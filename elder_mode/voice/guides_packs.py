"""Spoken guides for the dialect voice pack pages (recording, review, coverage, choosing a dialect): same shape as `guides.GUIDES`."""

PACK_GUIDES: dict[str, dict[str, str]] = {}
