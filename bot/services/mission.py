"""The organization's mission statement, the method's "We (value) in (field) (improving lives)".

The method: "Before setting OKR, first clarify your or the company's mission. It doesn't have to be
elegant, but it should be concise, easy to remember [...] The company's mission can be described in
the following simple format: We (what value proposition) are in (what field or industry) (improving
people's lives or reducing people's suffering)." Anyone can read it (`/okr mission`); a company lead
sets it (`/okr mission TEXT`), and a statement missing one of the three parts is refused, naming the
part, so what is stored always has the method's shape. The lint advises when there is none.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import commands as c
from bot.context import Ctx, names, team_leads
from bot.errors import Refusal
from bot.handlers import command
from bot.model import Card, Reply, Text
from bot.render import render_macro
from storage.models import Organization, Team, TeamMember

PARTS = ("value", "field", "lives")  # the three parts, in the order the statement has them
_WE = re.compile(r"^we\b\s*(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
_IN = re.compile(r"(?:^|\s+)in\s+", re.IGNORECASE)
# What ties the field to the lives it improves: punctuation, or a linking word ("to", "so", "making"...).
_LINK = re.compile(r"\s*[,;:\u2013\u2014]\s*|\s+-\s+|\s+(?:to|so|so that|by|for|and|making|helping|improving"
                   r"|reducing|bringing|giving|letting)\s+", re.IGNORECASE)


def missing_parts(text: str) -> list[str]:
    """The parts of PARTS that `text` lacks: empty when it reads "We <value> in <field>, <improving lives>".

    A simple reading on purpose (it checks the shape, not the meaning): it starts with "We", has a value
    before " in ", a field after it, and then a linking word or mark followed by at least two words."""
    words = " ".join(text.split())
    missing = []
    we = _WE.match(words)
    body = we.group("rest") if we else words
    value, sep, rest = _split(_IN, body)
    if we is None or not value:
        missing.append("value")
    if not sep:
        return [*missing, "field", "lives"]
    field, link, lives = _split(_LINK, rest)
    if not field:
        missing.append("field")
    if not link or len(lives.split()) < 2:
        missing.append("lives")
    return missing


def _split(pattern: re.Pattern, text: str) -> tuple[str, str, str]:
    match = pattern.search(text)
    if match is None:
        return text.strip(), "", ""
    return text[:match.start()].strip(), match.group(0), text[match.end():].strip()


def company_teams(session: Session, org: Organization) -> list[Team]:
    """The teams that speak for the whole organization: its company-level teams, else the top of its tree."""
    teams = list(session.scalars(select(Team).where(Team.org_id == org.id).order_by(Team.id)))
    return [t for t in teams if t.level == "company"] or [t for t in teams if t.parent_id is None]


def require_company_lead(ctx: Ctx, usage: str) -> None:
    """Refuse, naming the company's leads, unless the person leads a company-level team (`company_teams`)."""
    teams = company_teams(ctx.session, ctx.org)
    if teams and ctx.session.scalar(select(TeamMember.person_id).where(
            TeamMember.team_id.in_([t.id for t in teams]), TeamMember.person_id == ctx.person.id,
            TeamMember.role == "lead").limit(1)) is not None:
        return
    leads = names(p for t in teams for p in team_leads(ctx.session, t))
    raise Refusal("leads_only", usage, team=teams[0].name if teams else ctx.org.name, leads=leads)


def mission_card(org: Organization, prefix: str, headline: str = "") -> Card:
    text = render_macro("mission", "show", mission=org.mission, headline=headline, prefix=prefix)
    return Card(render_macro("mission", "title", organization=org.name), (Text(text),), fallback=text)


@command(c.Mission)
def mission(ctx: Ctx, cmd: c.Mission) -> Reply:
    if cmd.text is None:
        return Reply(card=mission_card(ctx.org, ctx.prefix))
    require_company_lead(ctx, "mission")
    missing = missing_parts(cmd.text)
    if missing:
        raise Refusal("mission_parts", "mission", missing=",".join(missing), given=cmd.text)
    ctx.org.mission = " ".join(cmd.text.split())
    ctx.session.flush()
    return Reply(card=mission_card(ctx.org, ctx.prefix, render_macro("mission", "saved")), visibility="channel")
