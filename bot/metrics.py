"""What okrbot counts for Prometheus: one definition per metric, README lists each one.

Counting costs nothing worth measuring when /metrics is off (METRICS unset), so the counters are
always kept; only the endpoint is optional (okrbot.metrics_http). Labels have bounded values: a
route pattern, never a raw path; a platform, a ritual, a state, never an id.

With several web workers on one port (WEB_CONCURRENCY) `okrbot serve` sets prometheus-client's
multiprocess mode (PROMETHEUS_MULTIPROC_DIR) before this module is first imported, so any worker
answering /metrics reports the sum over all of them.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from bot import platforms

HTTP_REQUESTS = Counter(
    "okrbot_http_requests", "HTTP requests answered, by route pattern, method and status",
    ["route", "method", "status"])
HTTP_LATENCY = Histogram(
    "okrbot_http_request_duration_seconds", "Time from request to response, by route pattern",
    ["route"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
CHECKINS = Counter(
    "okrbot_checkins", "Check-ins recorded, by source (command, form, import, demo) and platform",
    ["source", "platform"])
RITUAL_RUNS = Counter(
    "okrbot_ritual_runs", "Ritual runs finished, by ritual and state (posted, failed, skipped, lost, stopped)",
    ["ritual", "state"])
POSTS = Counter("okrbot_outbound_posts", "Messages sent through a platform's messenger", ["platform"])
RATE_LIMITED = Counter("okrbot_outbound_rate_limited", "HTTP 429 answers to okrbot's sends", ["platform"])
BUDGET_WAIT = Counter(
    "okrbot_send_budget_wait_seconds", "Seconds sends waited for their workspace's shared budget", ["platform"])
SWEEP_DURATION = Histogram(
    "okrbot_clock_sweep_duration_seconds", "How long one sweep of the clock took (claiming and sending)",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300))


def checkin_labels(source: str, via: str) -> tuple[str, str]:
    """(source, platform) of a check-in: a chat's command or form on its platform, or an import/demo."""
    if platforms.is_registered(source):
        return via, source
    return source, "none"
