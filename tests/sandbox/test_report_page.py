"""The whole status report on the dashboard (/report), where a chat report's "See the whole report" button leads."""

from __future__ import annotations

from urllib.parse import urlparse

from bot.model import Actions, Interaction
from tests.sandbox.conftest import visible_text


async def test_chat_report_links_to_the_page_with_everything(app, org_id):
    ctx, client = app
    reply = ctx.core.handle(Interaction(platform="sandbox", workspace=str(org_id), actor="ceo@example.com",
                                        actor_email="ceo@example.com", kind="command", text="report"))
    [button] = [b for e in reply.card.elements if isinstance(e, Actions) for b in e.buttons]
    assert button.label == "See the whole report"
    url = urlparse(button.url)
    assert url.path == "/report" and f"org={org_id}" in url.query
    response = await client.get(f"{url.path}?{url.query}")
    text = visible_text(await response.text())
    assert response.status == 200 and "everything, nothing cut" in text
    assert "1. OKRs" in text and "5. Notes" in text and "…and" not in text
    assert "See the whole report" not in text


async def test_report_page_of_a_team_and_of_an_unknown_one(app, org_id):
    _ctx, client = app
    response = await client.get(f"/report?team=rd-efficiency&org={org_id}")
    assert response.status == 200 and "R&D Efficiency" in visible_text(await response.text())
    response = await client.get("/report?team=nope")
    assert response.status == 404 and "no team with the key nope" in visible_text(await response.text())


async def test_report_page_needs_a_session_on_a_public_server(public):
    _ctx, client = public
    response = await client.get("/report")
    assert response.status == 401
