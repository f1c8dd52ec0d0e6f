"""`/okr dashboard`: a personal, signed, expiring sign-in link to the web dashboard.

The link carries the person and the organization, signed with SECRET_KEY (bot.signin), so whoever
opens it sees that organization's dashboard as that person, and nothing of any other organization.
Without a SECRET_KEY the dashboard can only be served on the local machine, where it needs no sign-in.
"""

from __future__ import annotations

from urllib.parse import quote

from bot import commands as c
from bot import i18n
from bot.context import Ctx
from bot.handlers import command
from bot.model import Actions, Button, Card, Reply, Text
from bot.render import render
from bot.signin import LINK_LIFETIME, link_token

SIGNIN_PATH = "/signin"


def dashboard_link(ctx: Ctx) -> tuple[str, bool]:
    """The URL to hand this person, and whether it is a signed one."""
    base = (ctx.dashboard_url or "").rstrip("/")
    if not ctx.signin_key:
        return f"{base}/", False
    token = link_token(ctx.signin_key, ctx.org.id, ctx.person.id, ctx.now)
    return f"{base}{SIGNIN_PATH}?t={quote(token)}", True


@command(c.Dashboard)
def dashboard(ctx: Ctx, _cmd: c.Dashboard) -> Reply:
    url, signed = dashboard_link(ctx)
    text = render("dashboard_link", signed=signed, organization=ctx.org.name, name=ctx.person.name,
                  minutes=int(LINK_LIFETIME.total_seconds() // 60), url=url)
    buttons = (Button(i18n.gettext("Open the dashboard"), "dashboard_open", url=url, style="primary"),)
    return Reply(card=Card(i18n.gettext("OKR dashboard"), (Text(text), Actions(buttons)),
                           fallback=i18n.gettext("Your OKR dashboard link")))
