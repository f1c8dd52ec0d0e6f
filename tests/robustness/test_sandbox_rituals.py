"""Forcing a ritual from the sandbox is the team lead's call, and a forced re-post orphans no thread.

A member who presses "Friday wins" is told who can, and nothing is posted or claimed; the lead's
re-post of Friday wins leaves the earlier thread collecting wins (a reply there used to be answered
200 and dropped).
"""

from __future__ import annotations

from sqlalchemy import func, select

from storage.models import RitualRun, SandboxMessage, Win
from tests.sandbox.conftest import sign_in_as, visible_text

CHANNEL = "rd-efficiency"


def _roots(sessions) -> list[int]:
    with sessions() as s:
        return list(s.scalars(select(SandboxMessage.id).where(
            SandboxMessage.channel_id == CHANNEL, SandboxMessage.thread_id.is_(None),
            SandboxMessage.author_person_id.is_(None), SandboxMessage.visible_to_person_id.is_(None))
            .order_by(SandboxMessage.id)))


async def test_a_member_cannot_force_a_ritual_and_is_told_who_can(app, sessions):
    _ctx, client = app
    await sign_in_as(client, sessions, "engineer@example.com")
    for ritual in ("monday", "friday", "wrapup", "report"):
        response = await client.post(f"/sandbox/c/{CHANNEL}/rituals", data={"ritual": ritual})
        text = visible_text(await response.text())
        assert response.status == 200
        assert "Only the leads of R&D Efficiency can do that (Zhao Lei)" in text, text
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(RitualRun)) == 0
        assert s.scalar(select(func.count()).select_from(SandboxMessage).where(
            SandboxMessage.author_person_id.is_(None))) == 0


async def test_the_lead_forces_a_ritual(app, sessions):
    _ctx, client = app
    await sign_in_as(client, sessions, "director.rd@example.com")
    response = await client.post(f"/sandbox/c/{CHANNEL}/rituals", data={"ritual": "friday"})
    assert "posted friday" in visible_text(await response.text())
    assert len(_roots(sessions)) == 1


async def test_a_reposted_friday_keeps_collecting_wins_in_its_earlier_thread(app, sessions):
    _ctx, client = app
    await sign_in_as(client, sessions, "director.rd@example.com")
    await client.post(f"/sandbox/c/{CHANNEL}/rituals", data={"ritual": "friday"})
    await client.post(f"/sandbox/c/{CHANNEL}/rituals", data={"ritual": "friday"})
    first, second = _roots(sessions)
    await sign_in_as(client, sessions, "engineer@example.com")
    for root, text in ((first, "win: Shipped the vendor API"), (second, "win: Closed the audit")):
        response = await client.post(f"/sandbox/c/{CHANNEL}/threads/{root}", data={"text": text})
        assert response.status == 200
    with sessions() as s:
        assert sorted(w.text for w in s.scalars(select(Win))) == ["Closed the audit", "Shipped the vendor API"]
    # A third post keeps both earlier threads.
    await sign_in_as(client, sessions, "director.rd@example.com")
    await client.post(f"/sandbox/c/{CHANNEL}/rituals", data={"ritual": "friday"})
    await client.post(f"/sandbox/c/{CHANNEL}/threads/{first}", data={"text": "win: Hired two engineers"})
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Win)) == 3
