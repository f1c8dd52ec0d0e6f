"""Help and channel binding."""

from __future__ import annotations

from sqlalchemy import select

from bot import commands as c
from bot.context import Ctx
from bot.errors import Refusal
from bot.handlers import command
from bot.model import Card, Context, Reply, Text
from bot.render import render, render_macro
from storage.models import ChannelBinding


@command(c.Help)
def help_(ctx: Ctx, cmd: c.Help) -> Reply:
    """Every entry of the grammar, or the one asked about, with its forms and the line its template says."""
    entries = [_entry(verb, ctx.prefix) for verb in c.GRAMMAR.values()]
    topic = next((entry for entry in entries if entry["name"] == cmd.topic), None)
    text = render("help", prefix=ctx.prefix, topic=topic, commands=entries, usage=c.USAGE, name=ctx.person.name)
    return Reply(card=Card("okrbot", (Text(text), Context(render("help_footer", prefix=ctx.prefix))), fallback=text))


def _entry(verb: c.Verb, prefix: str) -> dict[str, object]:
    return {"name": verb.name, "section": verb.section, "forms": verb.forms, "aliases": verb.aliases,
            "says": render_macro(verb.words, verb.name.replace("-", "_"), prefix=prefix)}  # a macro has no "-"


@command(c.Bind)
def bind(ctx: Ctx, cmd: c.Bind) -> Reply:
    """Leads bind a channel to their team: the rituals of the team are posted there from now on."""
    if not ctx.conversation:
        raise Refusal("bind_needs_channel", "bind")
    team = ctx.find_team(cmd.team)
    ctx.require_lead(team, "bind")
    binding = ctx.session.scalar(select(ChannelBinding).where(
        ChannelBinding.org_id == ctx.org.id, ChannelBinding.platform == ctx.platform,
        ChannelBinding.channel_id == ctx.conversation))
    if binding is None:
        ctx.session.add(ChannelBinding(org_id=ctx.org.id, team_id=team.id, platform=ctx.platform,
                                       channel_id=ctx.conversation))
    else:
        binding.team_id = team.id
    text = render("bound", team=team.name, prefix=ctx.prefix)
    return Reply(card=Card(None, (Text(text),), fallback=text), visibility="channel")
