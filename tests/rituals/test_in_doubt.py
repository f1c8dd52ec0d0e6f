"""A clock killed during a send leaves that message in doubt: it may or may not have arrived.
When the platform's messenger can tell (`find_post`), the restarted clock asks before sending again;
otherwise it sends again (at least once: a lost Monday post is worse than one seen twice)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from adapters.sandbox.messenger import SandboxMessenger
from bot.model import Card, Conversation, MessageRef
from bot.rituals import runs
from bot.rituals.content import channel_card
from bot.rituals.sweep import due_runs, sweep
from storage.db import transaction
from storage.models import Organization, SandboxMessage, Team
from tests.rituals.conftest import MONDAY_0900, runs_of, sandbox_messages


class RecallingSandbox(SandboxMessenger):
    """The sandbox messenger plus the optional capability: find a post of ours since a moment."""

    async def find_post(self, to: Conversation, since: datetime, card: Card,
                        thread: MessageRef | None = None) -> MessageRef | None:
        parent = int(thread.message_id) if thread else None
        with self.sessions() as s:
            row = s.scalar(select(SandboxMessage).where(
                SandboxMessage.org_id == int(to.workspace), SandboxMessage.channel_id == to.channel_id,
                SandboxMessage.created_at >= since, SandboxMessage.text == card.fallback,
                SandboxMessage.thread_id.is_(None) if parent is None else SandboxMessage.thread_id == parent))
        if row is None:
            return None
        return MessageRef(to.channel_id, str(row.id), str(parent) if parent else None)


async def kill_during_send(app_ctx, sessions, clock, team_key: str, arrived: bool) -> None:
    """A clock claims the Monday runs, marks rd-efficiency's post as sending, (maybe) gets it to the
    platform, and dies before recording it."""
    with transaction(sessions) as s:
        to_claim, _ = due_runs(s, clock.now())
        claims = runs.claim_new(s, [d for d in to_claim if d["ritual"] == "monday"], "otherhost:7:dead", clock.now())
        claim = next(c for c in claims if s.get(Team, c.team_id).key == team_key)
        assert runs.start_sending(s, claim, "channel", clock.now())
        org = s.get(Organization, claim.org_id)
        card = channel_card(s, org, s.get(Team, claim.team_id), "monday", claim.period, clock.now())
    if arrived:
        await app_ctx.messengers["sandbox"].post(Conversation("sandbox", str(org.id), team_key), card)


async def test_a_message_in_doubt_that_arrived_is_found_not_sent_again(app_ctx, sessions, clock, deliverer):
    app_ctx.messengers["sandbox"] = RecallingSandbox(sessions, clock)
    clock.set(MONDAY_0900)
    await kill_during_send(app_ctx, sessions, clock, "rd-efficiency", arrived=True)
    clock.advance(seconds=runs.LEASE.total_seconds() + 1)
    result = await sweep(app_ctx, clock.now(), deliverer=deliverer)
    assert result.resumed == 4 and result.posted == 4
    posted = sandbox_messages(sessions, "rd-efficiency")
    assert len(posted) == 1
    run = next(r for r in runs_of(sessions, "monday") if r.channel_id == "rd-efficiency")
    assert run.state == "posted" and run.message_ref == str(posted[0].id)


async def test_a_message_in_doubt_that_never_arrived_is_sent(app_ctx, sessions, clock, deliverer):
    app_ctx.messengers["sandbox"] = RecallingSandbox(sessions, clock)
    clock.set(MONDAY_0900)
    await kill_during_send(app_ctx, sessions, clock, "rd-efficiency", arrived=False)
    clock.advance(seconds=runs.LEASE.total_seconds() + 1)
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    assert len(sandbox_messages(sessions, "rd-efficiency")) == 1


async def test_without_a_way_to_ask_a_message_in_doubt_is_sent_again(app_ctx, sessions, clock, deliverer):
    clock.set(MONDAY_0900)
    await kill_during_send(app_ctx, sessions, clock, "rd-efficiency", arrived=True)
    clock.advance(seconds=runs.LEASE.total_seconds() + timedelta(seconds=1).total_seconds())
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    assert len(sandbox_messages(sessions, "rd-efficiency")) == 2  # at least once, never lost
