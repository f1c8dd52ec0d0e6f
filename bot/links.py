"""Where a card's key-result line and "see all" point: pages of the web dashboard.

Paths carry the organization (`org`), which picks it for an anonymous visitor on the local machine; a
signed-in session always shows its own organization whatever the link says. A card gets absolute
URLs only when the dashboard's base URL is known (Core.dashboard_url, from PUBLIC_URL or HOST:PORT);
the dashboard draws the same cards with relative ones.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode


def key_result_path(code: str, org_id: int) -> str:
    """The key result's page: /kr/CODE."""
    return f"/kr/{quote(code, safe='')}?org={org_id}"


def report_path(team_keys: list[str], org_id: int) -> str:
    """The full status report of teams and everything under them (the top of the tree without any)."""
    return "/report?" + urlencode([("team", key) for key in team_keys] + [("org", org_id)])


def absolute(base: str | None, path: str) -> str | None:
    """`path` under the dashboard's base URL; None (no link) when there is no base, as in the terminal."""
    return None if base is None else base.rstrip("/") + path


def stats_path(team_keys: list[str], org_id: int) -> str:
    """The ritual-health page of teams and everything under them (the whole organization without any)."""
    return "/stats?" + urlencode([("team", key) for key in team_keys] + [("org", org_id)])
