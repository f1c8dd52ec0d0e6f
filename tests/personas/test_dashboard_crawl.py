"""The persona sweep's web half: every person follows every link of the dashboard and the sandbox.

The chat sweep (test_sweep.py) presses every button okrbot shows; this one reads every page it serves.
For the demo organization with the edge personas and six weeks of history, each person signs in (the
sandbox's person picker locally; a signed `/okr dashboard` link on a public server) and follows each
same-site link breadth-first, the ritual posts of every team included. It passes only when every page
answers 200 (or a redirect to one), no link is broken, and no page apologises or shows a traceback.
"""

from __future__ import annotations

import html as html_lib
import re
from urllib.parse import urljoin, urlparse

from bot.rituals import run_ritual
from bot.rituals.catalog import names as ritual_names
from tests.personas.conftest import DEMO, EDGE, Persona
from tests.sandbox.conftest import KEY, link_for, make_client, sign_in_as

APOLOGIES = ("something went wrong", "traceback (most recent call last)", "internal server error")
START = ("/", "/advice", "/report", "/sandbox")
# Links that end the visit rather than show a page.
LEAVING = ("/signout", "/sandbox/signout")
PAGE_LIMIT = 400  # per persona; the demo organization has far fewer distinct pages


def same_site_links(page: str, here: str) -> list[str]:
    links = []
    for href in re.findall(r'href="([^"]*)"', page):
        url = urlparse(urljoin(here, html_lib.unescape(href)))
        if url.scheme or url.netloc or not url.path.startswith("/") or url.path in LEAVING:
            continue
        if url.path.startswith("/static/"):
            continue
        links.append(url.path + (f"?{url.query}" if url.query else ""))
    return links


async def crawl(client, who: str, cookies: dict | None = None) -> set[str]:
    """Every page reachable from the start pages; fails on the first broken or apologising one."""
    seen: set[str] = set()
    queue = list(START)
    while queue and len(seen) < PAGE_LIMIT:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = await client.get(path, cookies=cookies)
        page = await response.text()
        assert response.status == 200, f"{who}: GET {path} answered {response.status}: {page[:300]}"
        lowered = page.lower()
        assert not any(a in lowered for a in APOLOGIES), f"{who}: GET {path} apologises: {page[:300]}"
        queue += [link for link in same_site_links(page, path) if link not in seen]
    assert len(seen) < PAGE_LIMIT, f"{who}: more than {PAGE_LIMIT} pages: a link generates endless pages?"
    return seen


async def _post_every_ritual(ctx, org_id: int) -> None:
    for team in ("retail", "ecology", "rd-efficiency", "ecology-hr"):
        for ritual in ritual_names():
            await run_ritual(ctx, team, ritual, at=ctx.clock.now(), force=True, org_id=org_id)


async def test_every_person_reads_every_page_of_the_local_server(database_url, clock, demo_org, sessions):
    ctx, client = make_client(database_url, clock, sandbox=True)
    await client.start_server()
    try:
        await _post_every_ritual(ctx, demo_org)
        pages: dict[str, set[str]] = {}
        for persona in (*DEMO, *EDGE):
            client.session.cookie_jar.clear()
            await sign_in_as(client, sessions, persona.email)
            pages[persona.key] = await crawl(client, persona.key)
    finally:
        await client.close()
        ctx.engine.dispose()
    # The crawl really went somewhere: the key-result pages, the team pages, the report, the channels.
    everything = set().union(*pages.values())
    for prefix in ("/kr/", "/?team=", "/report", "/sandbox/c/"):
        assert any(p.startswith(prefix) for p in everything), f"no {prefix} page reached: {sorted(everything)}"


async def test_every_person_reads_every_page_of_a_public_server(database_url, clock, demo_org):
    ctx, client = make_client(database_url, clock, host="0.0.0.0", secret_key=KEY, sandbox=True,
                              public_url="https://okr.example.com")
    await client.start_server()
    people: tuple[Persona, ...] = (DEMO[0], DEMO[3], *EDGE)
    try:
        await _post_every_ritual(ctx, demo_org)
        for persona in people:
            client.session.cookie_jar.clear()
            signed = await client.get(link_for(ctx, demo_org, persona.email), allow_redirects=False)
            assert signed.status == 303, (persona.key, await signed.text())
            session = {"okrbot_session": signed.cookies["okrbot_session"].value}
            await crawl(client, persona.key, cookies=session)
    finally:
        await client.close()
        ctx.engine.dispose()
