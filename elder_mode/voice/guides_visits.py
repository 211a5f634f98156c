"""Spoken guides for help points (帮办点) and home visits (上门服务) in `assist`: same shape as `guides.GUIDES`."""

VISIT_GUIDES: dict[str, dict[str, str]] = {}
