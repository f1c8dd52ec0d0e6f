"""`/okr stats [TEAM]`: a team's ritual health in chat, the same figures as the dashboard's /stats page.

Which team: the one named; else the team of the channel; else the teams the person leads (each, up to
MAX_TEAMS: a lead of two teams gets both); else their own team. A team's figures include the teams under it,
as the status report's do. The figures are bot.services.stats's, so chat, page and CSV never disagree.
"""

from __future__ import annotations

from bot import commands as c
from bot import i18n
from bot.context import Ctx
from bot.handlers import command
from bot.links import absolute, stats_path
from bot.model import Actions, Button, Card, Reply, Text
from bot.render import render
from bot.services.stats import ritual_health
from bot.services.status_report import led_teams, subtree
from storage.models import Team

WEEKS = 4  # "the last few weeks": a chat message stays short; the page has the whole cycle
MAX_TEAMS = 3


def _teams(ctx: Ctx, cmd: c.Stats) -> list[Team]:
    if cmd.team:
        return [ctx.find_team(cmd.team)]
    channel = ctx.channel_team()
    if channel is not None:
        return [channel]
    led = led_teams(ctx.session, ctx.org, ctx.person)
    return led[:MAX_TEAMS] if led else [ctx.team()]


@command(c.Stats)
def stats(ctx: Ctx, cmd: c.Stats) -> Reply:
    teams = _teams(ctx, cmd)
    elements: list = []
    for team in teams:
        ids = [t.id for t, _depth in subtree(ctx.session, ctx.org, [team])]
        health = ritual_health(ctx.session, ctx.org, ctx.now, team_ids=ids, weeks=WEEKS)
        elements.append(Text(render("stats", team=team.name, teams=health.teams,
                                    cycle=health.cycle.name if health.cycle else None, weeks=health.total,
                                    ages=health.red_ages, current=health.current, prefix=ctx.prefix)))
    url = absolute(ctx.dashboard_url, stats_path([t.key for t in teams], ctx.org.id))
    if url:
        elements.append(Actions((Button(i18n.gettext("See the charts"), "stats_open", url=url),)))
    title = i18n.gettext("Ritual health")
    return Reply(card=Card(title, tuple(elements), fallback=title))
