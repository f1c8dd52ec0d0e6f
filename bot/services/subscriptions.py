"""`/okr subscribe TEAM`: a channel (any channel) gets that team's rolled-up weekly report, every week.

The method: "Make OKR public". A subscription is a row per team and channel; the weekly post is the catalog's
`subscriptions` ritual, run for a team only while some channel is subscribed to it (subscribing turns the team's
`subscriptions` setting on, the last unsubscribe turns it off), so the clock claims one run per team and week and
sends each subscribed channel its copy exactly once (message key `sub:<id>`), however often it sweeps.
"""

from __future__ import annotations

from sqlalchemy import func, select

from bot import commands as c
from bot import i18n
from bot.context import Ctx, team_language
from bot.errors import Refusal
from bot.handlers import command
from bot.model import Card, Reply, Text
from bot.render import render
from bot.rituals import catalog
from bot.rituals.catalog import Occasion
from bot.services.settings import every, ritual_setting
from bot.services.status_report import team_status_report
from storage.models import Subscription, Team

RITUAL = "subscriptions"  # the catalog's ritual that posts a team's report to the channels subscribed to it


def _channel(ctx: Ctx, usage: str) -> str:
    if not ctx.conversation:
        raise Refusal("subscribe_needs_channel", usage)
    return ctx.conversation


def _subscription(ctx: Ctx, team: Team, channel: str) -> Subscription | None:
    return ctx.session.scalar(select(Subscription).where(
        Subscription.team_id == team.id, Subscription.platform == ctx.platform, Subscription.channel_id == channel))


@command(c.Subscribe)
def subscribe(ctx: Ctx, cmd: c.Subscribe) -> Reply:
    channel = _channel(ctx, "subscribe")
    if cmd.team is None:
        return _list(ctx, channel)
    team = ctx.find_team(cmd.team)
    existing = _subscription(ctx, team, channel)
    if existing is None:  # subscribing twice (a retry, a double click) keeps one subscription
        ctx.session.add(Subscription(org_id=ctx.org.id, team_id=team.id, platform=ctx.platform, channel_id=channel,
                                     person_id=ctx.person.id, created_at=ctx.now))
    setting = ritual_setting(ctx.session, team, catalog.CATALOG[RITUAL])
    setting.enabled = True
    text = render("subscribed", team=team.name, already=existing is not None, weekday=every(setting.weekday),
                  time=setting.time, key=team.key, prefix=ctx.prefix)
    return Reply(card=Card(None, (Text(text),), fallback=text), visibility="channel")


@command(c.Unsubscribe)
def unsubscribe(ctx: Ctx, cmd: c.Unsubscribe) -> Reply:
    channel = _channel(ctx, "unsubscribe")
    team = ctx.find_team(cmd.team)
    existing = _subscription(ctx, team, channel)
    if existing is not None:
        ctx.session.delete(existing)
        ctx.session.flush()
        left = ctx.session.scalar(select(func.count()).select_from(Subscription).where(
            Subscription.team_id == team.id))
        if not left:  # nobody reads it any more: the clock stops claiming its runs
            ritual_setting(ctx.session, team, catalog.CATALOG[RITUAL]).enabled = False
    text = render("unsubscribed", team=team.name, was=existing is not None, key=team.key, prefix=ctx.prefix)
    return Reply(card=Card(None, (Text(text),), fallback=text), visibility="channel")


def _list(ctx: Ctx, channel: str) -> Reply:
    teams = list(ctx.session.scalars(
        select(Team).join(Subscription, Subscription.team_id == Team.id)
        .where(Subscription.org_id == ctx.org.id, Subscription.platform == ctx.platform,
               Subscription.channel_id == channel).order_by(Team.name, Team.id)))
    text = render("subscriptions", teams=[(t.name, t.key) for t in teams], prefix=ctx.prefix)
    return Reply(card=Card(None, (Text(text),), fallback=text))


def digest_messages(o: Occasion) -> list:
    """The `subscriptions` run of a team: its rolled-up report (the team and everything under it), once per subscribed
    channel, in the team's language."""
    from bot.rituals.content import Outbound

    subscriptions = list(o.session.scalars(select(Subscription).where(Subscription.team_id == o.team.id)
                                           .order_by(Subscription.id)))
    if not subscriptions:
        return []
    with i18n.speaking(team_language(o.team, o.org)):
        card = team_status_report(o.session, o.org, o.team, o.period, o.now, o.base)
    return [Outbound(f"sub:{s.id}", card, channel=(s.platform, s.channel_id)) for s in subscriptions]
