"""Every adapter's platform made known to the core (bot.platforms), once, at start.

All of them, whichever are configured: rows written through Slack or Teams (accounts, channels,
workspaces, ritual runs) stay meaningful while that platform is switched off, and an import file may
name them. Whether a platform runs is a separate question: whether its messenger and routes are built.
"""

from __future__ import annotations

from bot import platforms


def register_platforms() -> None:
    """Register the built-in adapters' specs (idempotent)."""
    from adapters.sandbox.platform import PLATFORM as SANDBOX
    from adapters.slack.platform import PLATFORM as SLACK
    from adapters.teams.platform import PLATFORM as TEAMS

    for spec in (SLACK, TEAMS, SANDBOX):
        platforms.register(spec)
