"""The dashboard's pages: the organization's tree at /, one team at /?team=KEY, a key result at /kr/CODE,
the method's advice at /advice, the cycles at /cycles and one cycle's scores and lessons at /cycles?cycle=NAME."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

from aiohttp import web

from adapters.web import forms
from adapters.web.access import (
    ACCESS,
    APP_CONTEXT,
    Viewer,
    admit,
    chrome,
    install,
    no_organization,
    resolve,
    signin,
    signout,
    speak_page,
    unauthorized,
    viewer,
)
from adapters.web.config import WebConfig
from adapters.web.forms import open_form
from adapters.web.html import page
from adapters.web.svg import key_result_chart, weeks_chart
from bot.context import team_leads, team_timezone
from bot.runtime import Runtime
from bot.serialize import card_to_dict
from bot.services.advice import alignment_report, lint
from bot.services.proposals import planning_cycle
from bot.services.stats import health_csv
from bot.services.status_report import gather, report_card
from bot.teams import team_by_key
from bot.views.cycles import cycle_page, cycle_rows, find_cycle
from bot.views.dashboard import company_page, cycles_of, pick_cycle, team_page, top_teams
from bot.views.keyresult import find_key_result, key_result_page
from bot.views.planning import proposals_page
from bot.views.privacy import may_see
from bot.views.stats import stats_page, stats_rows
from bot.weeks import local_week
from storage.db import transaction
from storage.models import Organization

ADVICE_SHOWN = 200


def _html(body: str, status: int = 200) -> web.Response:
    return web.Response(text=body, status=status, content_type="text/html")


def _page_number(request: web.Request) -> int:
    raw = request.query.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) < 6 else 1


async def dashboard(request: web.Request) -> web.Response:
    """One transaction for the whole page, the viewer included: a page is one snapshot."""
    identity = admit(request)
    ctx = request.app[APP_CONTEXT]
    key = request.query.get("team", "").strip()[:64]
    cycle = request.query.get("cycle") or None

    def build() -> tuple[str, int]:
        with transaction(ctx.sessions) as session:
            who = _resolve(request, session, identity)
            now = ctx.clock.now()
            common = {"chrome": chrome(request, who), "anonymous": who.person is None,
                      "open": request.app[ACCESS].open}
            if key:
                team = team_by_key(session, who.org.id, key)
                if team is None:
                    return page("message.html.j2", reason="no_team", given=key,
                                chrome=common["chrome"]), 404
                return page("team.html.j2", view=team_page(session, who.org, team, who.person, now, cycle),
                            drafting=_drafting(session, who, team, now), **common), 200
            view = company_page(session, who.org, who.person, now, cycle, _page_number(request))
            return page("company.html.j2", view=view, **common), 200

    body, status = await asyncio.to_thread(build)
    return _html(body, status)


def _drafting(session, who: Viewer, team, now) -> str | None:
    """The cycle being planned, when the viewer leads this team (the drafting form is theirs to open)."""
    if who.person is None:
        return None
    cycle = planning_cycle(session, who.org, now)
    leads = {p.id for p in team_leads(session, team)} if cycle is not None else set()
    return cycle.name if cycle is not None and who.person.id in leads else None


async def draft(request: web.Request) -> web.Response:
    """The drafting form of a team for its signed-in lead: `/okr draft TEAM`'s form (bot.services.drafts),
    saved through the core; anyone else hears why not, as in chat."""
    key = "".join(request.query.get("team", "").split())[:64]
    back = f"/?{urlencode({'team': key})}" if key else "/"
    return await open_form(request, f"draft {key}".strip(), back)


async def proposals(request: web.Request) -> web.Response:
    """The cycle being planned: every proposal with its votes; its organizers merge and shortlist here."""
    identity = admit(request)
    ctx = request.app[APP_CONTEXT]

    def build() -> str:
        with ctx.sessions() as session:
            who = _resolve(request, session, identity)
            view = proposals_page(session, who.org, who.person, ctx.clock.now())
            return page("proposals.html.j2", view=view, chrome=chrome(request, who))

    return _html(await asyncio.to_thread(build))


async def merge_proposals(request: web.Request) -> web.Response:
    """`proposals merge N into M` from the page's form, through the core (which checks the organizer)."""
    data = await request.post()
    duplicate, kept = ("".join(c for c in str(data.get(name, "")) if c.isdigit())[:6] or "0"
                       for name in ("duplicate", "kept"))
    command = " ".join(("proposals", "merge", duplicate, "into", kept))  # the grammar's words, never translated
    return await forms.command(request, command, "/proposals")


def _resolve(request: web.Request, session, identity) -> Viewer:
    """The viewer inside a page's own session (admit first): 401 for a stale session, 404 for no organization.
    The rest of the page's thread speaks the viewer's language."""
    open_ = request.app[ACCESS].open
    who = resolve(session, identity, request.query.get("org"), open_)
    if who is None:
        raise unauthorized(request, "no_session") if identity and not open_ else no_organization(request)
    speak_page(request, who)
    return who


async def key_result(request: web.Request) -> web.Response:
    """One key result: owner, alignment, its cycle as a chart and every check-in with its note."""
    identity = admit(request)
    ctx = request.app[APP_CONTEXT]
    code = request.match_info["code"].strip()[:64]

    def build() -> tuple[str, int]:
        with ctx.sessions() as session:
            who = _resolve(request, session, identity)
            found = find_key_result(session, who.org, code)
            if found is None or not may_see(session, found[1], who.person):
                # Someone else's individual key result reads exactly like one that does not exist.
                return page("message.html.j2", reason="no_kr", given=code,
                            chrome=chrome(request, who)), 404
            now = ctx.clock.now()
            view = key_result_page(session, who.org, *found, who.person, now)
            return page("keyresult.html.j2", view=view, chart=key_result_chart(view, now),
                        chrome=chrome(request, who)), 200

    body, status = await asyncio.to_thread(build)
    return _html(body, status)


async def report(request: web.Request) -> web.Response:
    """The whole status report (every team and line, nothing cut) of the named teams and everything under them:
    where a chat report's "See the whole report" button leads."""
    identity = admit(request)
    ctx = request.app[APP_CONTEXT]
    keys = [key.strip()[:64] for key in request.query.getall("team", [])][:20]

    def build() -> tuple[str, int]:
        with ctx.sessions() as session:
            who = _resolve(request, session, identity)
            now = ctx.clock.now()
            teams = [team_by_key(session, who.org.id, key) for key in keys] if keys else top_teams(session, who.org)
            missing = [key for key, team in zip(keys, teams, strict=False) if team is None]
            if missing or not teams:
                return page("message.html.j2", reason="no_team", given=", ".join(missing),
                            chrome=chrome(request, who)), 404
            week = local_week(now, team_timezone(session, teams[0], who.org))
            card = report_card(who.org, gather(session, who.org, teams, week, now), week,
                               ", ".join(t.name for t in teams), full=True)
            return page("report.html.j2", org=who.org, card=card_to_dict(card), teams=teams,
                        chrome=chrome(request, who)), 200

    body, status = await asyncio.to_thread(build)
    return _html(body, status)


async def advice(request: web.Request) -> web.Response:
    """The alignment report and the OKR lint for one cycle: org-wide, so on their own page."""
    who: Viewer = await viewer(request)
    ctx = request.app[APP_CONTEXT]

    def build() -> str:
        with ctx.sessions() as session:
            org = session.get(Organization, who.org.id)
            now = ctx.clock.now()
            cycles = cycles_of(session, org)
            cycle = pick_cycle(session, org, cycles, request.query.get("cycle") or None, now)
            misaligned = alignment_report(session, org, cycle) if cycle else []
            advised = lint(session, org, cycle, now) if cycle else []
            return page("advice.html.j2", chrome=chrome(request, who), org=org, cycle=cycle, cycles=cycles,
                        misaligned=misaligned[:ADVICE_SHOWN], misaligned_total=len(misaligned),
                        advice=advised[:ADVICE_SHOWN], advice_total=len(advised))

    return _html(await asyncio.to_thread(build))


async def cycles(request: web.Request) -> web.Response:
    """Every cycle with its phase and dates; with `cycle=NAME`, that cycle's scores and lessons, team by team."""
    identity = admit(request)
    ctx = request.app[APP_CONTEXT]
    name = request.query.get("cycle", "").strip()[:64]

    def build() -> tuple[str, int]:
        with ctx.sessions() as session:
            who = _resolve(request, session, identity)
            now = ctx.clock.now()
            if not name:
                return page("cycles.html.j2", org=who.org, cycles=cycle_rows(session, who.org, now),
                            chrome=chrome(request, who)), 200
            cycle = find_cycle(session, who.org, name)
            if cycle is None:
                return page("message.html.j2", reason="no_cycle", given=name, chrome=chrome(request, who)), 404
            view = cycle_page(session, who.org, cycle, now, _page_number(request))
            return page("cycle.html.j2", view=view, chrome=chrome(request, who)), 200

    body, status = await asyncio.to_thread(build)
    return _html(body, status)


def _named_teams(request: web.Request, session, org_id: int) -> tuple[list, list[str]]:
    """The teams `?team=KEY` names (several allowed; none: the whole organization), and the keys that match none."""
    keys = [key.strip()[:64] for key in request.query.getall("team", [])][:20]
    teams = [team_by_key(session, org_id, key) for key in keys]
    return [t for t in teams if t is not None], [key for key, team in zip(keys, teams, strict=True) if team is None]


def _charts(health) -> dict:
    """The page's charts: check-ins, median confidence, priorities, wins, rituals (bot.services.stats's figures)."""
    weeks, labels = health.total, [w.week[-3:] for w in health.total]
    return {
        "checkins": weeks_chart(labels, [(w.on_time, w.late, w.missed) for w in weeks]),
        "confidence": weeks_chart(labels, [], line=[w.median for w in weeks], scale=(1, 10)),
        "priorities": weeks_chart(labels, [(w.done, w.dropped, w.carried) for w in weeks]),
        "wins": weeks_chart(labels, [(w.wins,) for w in weeks]),
        "rituals": weeks_chart(labels, [(w.posted, w.not_posted) for w in weeks]),
    }


async def stats(request: web.Request) -> web.Response:
    """Ritual health: the week-by-week figures of `/okr stats` as charts and a table, for teams or the organization."""
    identity = admit(request)
    ctx = request.app[APP_CONTEXT]

    def build() -> tuple[str, int]:
        with ctx.sessions() as session:
            who = _resolve(request, session, identity)
            teams, missing = _named_teams(request, session, who.org.id)
            if missing:
                return page("message.html.j2", reason="no_team", given=", ".join(missing),
                            chrome=chrome(request, who)), 404
            view = stats_page(session, who.org, teams, ctx.clock.now())
            return page("stats.html.j2", view=view, charts=_charts(view.health), query=request.query_string,
                        chrome=chrome(request, who)), 200

    body, status = await asyncio.to_thread(build)
    return _html(body, status)


async def stats_csv(request: web.Request) -> web.Response:
    """The page's figures as CSV, one row per team and week (every team of the scope, each its own)."""
    identity = admit(request)
    ctx = request.app[APP_CONTEXT]

    def build() -> tuple[str, str | None]:
        with ctx.sessions() as session:
            who = _resolve(request, session, identity)
            teams, missing = _named_teams(request, session, who.org.id)
            if missing:
                return page("message.html.j2", reason="no_team", given=", ".join(missing),
                            chrome=chrome(request, who)), None
            now = ctx.clock.now()
            name = "-".join(t.key for t in teams) if teams else f"org{who.org.id}"
            return health_csv(*stats_rows(session, who.org, teams, now)), \
                f"ritual-health-{name}-{local_week(now, who.org.timezone)}.csv"

    body, filename = await asyncio.to_thread(build)
    if filename is None:
        return _html(body, 404)
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in filename)
    return web.Response(text=body, content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{safe}"'})


def mount(app: web.Application, ctx: Runtime, config: WebConfig) -> None:
    """Register the dashboard's routes on the shared web application."""
    install(app, ctx, config)
    app.router.add_get("/", dashboard)
    app.router.add_get("/kr/{code}", key_result)
    app.router.add_get("/report", report)
    app.router.add_get("/advice", advice)
    app.router.add_get("/stats", stats)
    app.router.add_get("/stats.csv", stats_csv)
    app.router.add_get("/cycles", cycles)
    app.router.add_get("/draft", draft)
    app.router.add_get("/proposals", proposals)
    app.router.add_post("/proposals/merge", merge_proposals)
    forms.mount(app)
    app.router.add_get("/signin", signin)
    app.router.add_post("/signout", signout)
