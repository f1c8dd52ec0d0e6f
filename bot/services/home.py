"""A person's home page in a chat app (the Slack App Home tab): my key results, my team's week.

Registered nowhere: adapters ask for it through `Core.home` when the person opens the tab, and
draw the card natively. Reading a new week's priorities carries last week's open ones over, exactly
as `/okr priorities` does, so the tab and the command always show the same list.
"""

from __future__ import annotations

from bot import i18n
from bot.cards import kr_line
from bot.context import Ctx
from bot.model import Actions, Button, Card, Divider, Element, Text
from bot.render import render
from bot.services.keyresults import my_key_results
from bot.services.priorities import priorities_text, priority_items
from bot.services.trends import own_zone_trends

TREND_WEEKS = 6  # as on the Monday four-square


def home_card(ctx: Ctx) -> Card:
    rows = my_key_results(ctx)
    week = ctx.week()
    elements: list[Element] = [
        Text(render("home_intro", name=ctx.person.name, week=week, count=len(rows), prefix=ctx.prefix))
    ]
    trends = own_zone_trends(ctx.session, ctx.org, rows, ctx.now, TREND_WEEKS)
    for kr, objective in rows:
        elements.append(kr_line(kr, ctx.org, trend=trends.get(kr.id, ()), level=objective.level,
                                base=ctx.dashboard_url))
    buttons: list[Button] = []
    if rows:
        buttons.append(Button(i18n.gettext("Check in"), "checkin_open", style="primary"))
    teams = ctx.my_teams()
    if teams:
        team = teams[0]
        team_week = ctx.week(team)
        priorities = priority_items(ctx.session, team, team_week, ctx.now)
        elements.append(Divider())
        elements.append(Text(priorities_text(team, team_week, priorities)))
        buttons.append(Button(i18n.gettext("Set priorities"), "priorities_open", str(team.id)))
        done = i18n.gettext("Done: %(number)s. %(level)s %(text)s")
        buttons.extend(Button(done % {"number": p.number, "level": p.level, "text": p.text}, "priority_done", str(p.id))
                       for p in priorities if p.status == "open")
    if buttons:
        elements.append(Actions(tuple(buttons)))
    fallback = i18n.ngettext("%(name)s: %(num)s key result", "%(name)s: %(num)s key results", len(rows))
    return Card(i18n.gettext("Your OKR week"), tuple(elements), fallback=fallback % {"name": ctx.person.name,
                                                                                      "num": len(rows)})

