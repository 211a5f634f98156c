"""Spoken guides for the tutorials (教程) and practice (练习) pages of `learn`: same shape as `guides.GUIDES`."""

LEARN_GUIDES: dict[str, dict[str, str]] = {}
