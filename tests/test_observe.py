"""Seeing inside: /metrics (content and protection) and request ids in the log lines, through the real
application over HTTP (the sandbox's check-in form, the dashboard, the health check)."""

from __future__ import annotations

import io
import json
import logging
import re

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from okrbot.logs import JsonFormatter, RequestIdFilter
from storage.models import SandboxMessage
from tests.sandbox.conftest import KEY, make_client, say, sign_in_as


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(text: str, name: str, **labels) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


async def started(database_url, clock, **settings):
    ctx, client = make_client(database_url, clock, **settings)
    await client.start_server()
    return ctx, client


async def stop(ctx, client) -> None:
    await client.close()
    ctx.engine.dispose()


async def open_checkin_form(client, sessions) -> tuple[str, str]:
    await sign_in_as(client, sessions, "engineer@example.com")
    await say(client, "rd-efficiency", "/okr mine")
    with sessions() as s:
        card = s.scalar(select(SandboxMessage).where(SandboxMessage.card.is_not(None))
                        .order_by(SandboxMessage.id.desc()))
    opened = await client.post("/sandbox/c/rd-efficiency/actions",
                               data={"action_id": "checkin_open", "value": "", "message_id": str(card.id)})
    html = await opened.text()
    return (re.search(r'<form method="post" action="(/sandbox/forms/\d+)"', html).group(1),
            re.search(r'name="(confidence:\d+)"', html).group(1))


async def test_metrics_are_off_unless_configured(database_url, clock, org_id):
    ctx, client = await started(database_url, clock, sandbox=True)
    try:
        assert (await client.get("/metrics")).status == 404
    finally:
        await stop(ctx, client)


async def test_metrics_count_requests_by_route_pattern_and_checkins_by_source(database_url, clock, org_id, sessions):
    ctx, client = await started(database_url, clock, sandbox=True, metrics=True)
    try:
        before = await (await client.get("/metrics")).text()
        action, field = await open_checkin_form(client, sessions)
        assert (await client.post(action, data={field: "8"})).status == 200
        middle = await (await client.get("/metrics")).text()
        for _ in range(3):
            await client.get("/sandbox/c/rd-efficiency")
        await client.get("/no/such/page")
        response = await client.get("/metrics")
        assert response.status == 200 and response.headers["Content-Type"].startswith("text/plain; version=")
        after = await response.text()
    finally:
        await stop(ctx, client)
    route = "/sandbox/c/{channel}"
    assert value(after, "okrbot_http_requests_total", route=route, method="GET", status="200") - value(
        middle, "okrbot_http_requests_total", route=route, method="GET", status="200") == 3
    assert value(after, "okrbot_http_request_duration_seconds_count", route=route) >= 3
    assert value(after, "okrbot_http_requests_total", route="unmatched", method="GET", status="404") >= 1
    assert "/sandbox/c/rd-efficiency" not in after and "/no/such/page" not in after  # patterns, never raw paths
    assert value(after, "okrbot_checkins_total", source="form", platform="sandbox") - value(
        before, "okrbot_checkins_total", source="form", platform="sandbox") == 1
    for name in ("okrbot_ritual_runs", "okrbot_outbound_posts", "okrbot_outbound_rate_limited",
                 "okrbot_send_budget_wait_seconds", "okrbot_clock_sweep_duration_seconds"):
        assert f"# HELP {name}" in after


async def test_metrics_on_a_public_interface_need_the_bearer_token(database_url, clock, org_id):
    public = {"host": "0.0.0.0", "public_url": "https://okr.example.com", "secret_key": KEY, "sandbox": True}
    ctx, client = await started(database_url, clock, metrics=True, **public)
    try:
        refused = await client.get("/metrics")
        assert refused.status == 401 and "METRICS_TOKEN" in await refused.text()
    finally:
        await stop(ctx, client)
    ctx, client = await started(database_url, clock, metrics=True, metrics_token="s3cret-token", **public)
    try:
        assert (await client.get("/metrics")).status == 401
        assert (await client.get("/metrics", headers={"Authorization": "Bearer wrong"})).status == 401
        allowed = await client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
        assert allowed.status == 200 and "okrbot_http_requests_total" in await allowed.text()
    finally:
        await stop(ctx, client)


async def test_one_json_line_per_request_and_its_id_follows_the_work_into_the_core_thread(
        database_url, clock, org_id, sessions):
    """A form sent twice: the second is refused inside Core.handle, in a worker thread; that line carries
    the id of the request that sent it, like the request's own access line."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)  # setLevel, not .level: loggers cache what their level allowed
    ctx, client = await started(database_url, clock, sandbox=True)
    try:
        action, field = await open_checkin_form(client, sessions)
        await client.post(action, data={field: "8"})
        again = await client.post(action, data={field: "8"}, headers={"X-Request-Id": "again-42"},
                                  allow_redirects=False)
        assert again.headers["X-Request-Id"] == "again-42"
        fresh = await client.get("/healthz")
        assert re.fullmatch(r"[0-9a-f]{16}", fresh.headers["X-Request-Id"])
        forged = await client.get("/healthz", headers={"X-Request-Id": "bad id with spaces; and more"})
        assert forged.headers["X-Request-Id"] != "bad id with spaces; and more"
    finally:
        await stop(ctx, client)
        root.removeHandler(handler)
        root.setLevel(level)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    mine = [line for line in lines if line["request_id"] == "again-42"]
    assert any(line["logger"] == "bot.core" and "duplicate" in line["message"] for line in mine), mine
    access = [line for line in mine if line["logger"] == "okrbot.access"]
    assert len(access) == 1
    assert access[0]["route"] == "/sandbox/forms/{message}" and access[0]["method"] == "POST"
    assert access[0]["status"] == again.status and access[0]["duration_ms"] > 0
    health = [line for line in lines if line["logger"] == "okrbot.access" and line["path"] == "/healthz"]
    assert [line["request_id"] for line in health] == [fresh.headers["X-Request-Id"], forged.headers["X-Request-Id"]]
