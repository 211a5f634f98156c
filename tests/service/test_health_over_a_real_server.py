"""/healthz on a real ASGI server tells the truth about PostgreSQL and Redis."""

from __future__ import annotations

import pytest

from service.service_processes import ServiceProcess, http


@pytest.mark.service
def test_the_real_server_reports_database_and_redis_healthy(asgi_server: ServiceProcess):
    with http() as session:
        response = session.get(asgi_server.url + "/healthz", timeout=10)
    assert response.status_code == 200, asgi_server.describe()
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}
    assert "no-cache" in response.headers.get("Cache-Control", "") or "max-age=0" in response.headers["Cache-Control"]


@pytest.mark.service
def test_a_server_whose_redis_is_down_says_so_with_503(start_server):
    server = start_server("asgi-server-bad-redis", REDIS_URL="redis://127.0.0.1:1/0")
    with http() as session:
        response = session.get(server.url + "/healthz", timeout=15)
    assert response.status_code == 503, server.describe()
    body = response.json()
    assert body["status"] == "error"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("error"), body
