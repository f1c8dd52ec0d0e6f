"""A Teams ritual post in doubt (its answer lost, or its clock killed mid-send) is looked for in Microsoft
Graph before it is sent again, so it is posted once (adapters.teams.history). The Bot Connector itself
cannot be asked, and a POST to it is never idempotent: without Graph's answer the post goes again."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.model import Conversation
from bot.rituals import runs
from bot.rituals.content import channel_card
from bot.rituals.delivery import Deliverer
from bot.rituals.sweep import due_runs, sweep
from storage.db import transaction
from storage.models import Organization, RitualRun, Team
from tests.teams.conftest import CHANNEL, GROUP, TENANT
from tests.teams.test_rituals import FRIDAY_1600, MONDAY_0900, _runs


async def _bound(teams, consented: bool = True) -> Deliverer:
    await teams.say("bind rd-efficiency", "director", where="channel")
    teams.connector.graph_team(GROUP, [CHANNEL], consented=consented)
    teams.connector.calls.clear()
    return Deliverer(concurrency=4, sleep=teams.time.sleep, jitter=lambda: 1.0)


def _graph_reads(teams) -> list:
    return [c for c in teams.connector.calls if c.kind == "graph"]


async def test_a_new_thread_whose_answer_was_lost_is_found_in_graph_not_posted_twice(teams, clock, sessions):
    deliverer = await _bound(teams)
    teams.connector.drop_next(1)  # Teams stores the Monday thread; its answer never arrives
    clock.set(MONDAY_0900)
    await sweep(teams.ctx, clock.now(), deliverer=deliverer)
    [create] = teams.connector.of("create")
    assert create.fault == "dropped"
    [run] = _runs(sessions, "monday")
    assert run.state == "posted", run.reason
    assert (run.message_ref, run.thread_ref) == (create.activity_id, create.conversation)
    [read] = _graph_reads(teams)
    assert read.body["$filter"].startswith("lastModifiedDateTime gt ")


async def test_a_reply_whose_answer_was_lost_is_found_among_the_thread_replies(teams, clock, sessions):
    deliverer = await _bound(teams)
    clock.set(FRIDAY_1600)
    await sweep(teams.ctx, clock.now(), deliverer=deliverer)
    [friday] = _runs(sessions, "friday")
    teams.connector.drop_next(1)
    clock.set(FRIDAY_1600 + timedelta(hours=2))  # the wrap-up (18:00) replies in the Friday thread
    await sweep(teams.ctx, clock.now(), deliverer=deliverer)
    wrapups = [c for c in teams.connector.of("reply") + teams.connector.of("send")
               if c.conversation == f"{CHANNEL};messageid={friday.message_ref}"]
    [wrapup] = _runs(sessions, "wrapup")
    assert wrapup.state == "posted", wrapup.reason
    assert len(wrapups) == 1 and wrapups[0].fault == "dropped"
    assert [c.activity_id for c in _graph_reads(teams)] == [friday.message_ref]


async def test_graph_failing_for_a_moment_is_asked_again_before_anything_is_resent(teams, clock, sessions):
    deliverer = await _bound(teams)
    teams.connector.drop_next(1)
    teams.connector.fail_next_graph(2, 503)
    clock.set(MONDAY_0900)
    await sweep(teams.ctx, clock.now(), deliverer=deliverer)
    assert len(teams.connector.of("create")) == 1
    assert [c.answer_status for c in _graph_reads(teams)] == [503, 503, 200]
    [run] = _runs(sessions, "monday")
    assert run.state == "posted"


async def test_without_the_rsc_consent_a_post_in_doubt_is_sent_again(teams, clock, sessions):
    """Graph answers 403 without ChannelMessage.Read.Group: okrbot cannot tell, so it posts again (at
    least once, never lost), asking Graph once only."""
    deliverer = await _bound(teams, consented=False)
    teams.connector.drop_next(1)
    clock.set(MONDAY_0900)
    await sweep(teams.ctx, clock.now(), deliverer=deliverer)
    assert len(teams.connector.of("create")) == 2
    assert [c.answer_status for c in _graph_reads(teams)] == [403]
    [run] = _runs(sessions, "monday")
    assert run.state == "posted"


async def test_a_post_a_killed_clock_was_sending_is_found_by_the_next_clock(teams, clock, sessions):
    deliverer = await _bound(teams)
    clock.set(MONDAY_0900)
    with transaction(sessions) as s:  # a clock on another host claims, marks the post sending, and dies
        due, _ = due_runs(s, clock.now())
        claims = runs.claim_new(s, [d for d in due if d["ritual"] == "monday"], "otherhost:7:dead", clock.now())
        claim = next(c for c in claims if s.get(Team, c.team_id).key == "rd-efficiency")
        assert runs.start_sending(s, claim, "channel", clock.now())
        org = s.get(Organization, claim.org_id)
        card = channel_card(s, org, s.get(Team, claim.team_id), "monday", claim.period, clock.now())
    sent = await teams.messenger.post(Conversation("teams", TENANT, CHANNEL), card)  # it had reached Teams
    clock.advance(seconds=runs.LEASE.total_seconds() + 1)
    await sweep(teams.ctx, clock.now(), deliverer=deliverer)
    assert len(teams.connector.of("create")) == 1
    with sessions() as s:
        run = s.scalar(select(RitualRun).where(RitualRun.ritual == "monday", RitualRun.channel_id == CHANNEL))
    assert (run.state, run.message_ref) == ("posted", sent.message_id)


async def test_graph_is_read_with_the_bots_own_graph_token(database_url, clock, org_id, bot_connector, token_service,
                                                           entra, monkeypatch, sessions):
    """With authentication on, Graph is asked with the bot's token for scope graph.microsoft.com (a second
    token from Entra ID, kept like the Bot Connector's), and our message is the one from the bot's app id."""
    from tests.teams.conftest import start_harness
    from tests.teams.test_outbound_token import APP_ID

    teams, client = await start_harness(database_url, clock, bot_connector, monkeypatch, app_id=APP_ID,
                                        teams_openid_metadata_url=token_service.metadata_url)
    try:
        bot = {"id": f"28:{APP_ID}", "name": "okrbot"}  # Teams addresses the bot as 28:<its app id>
        bind = teams.message("bind rd-efficiency", "director", where="channel", recipient=bot)
        bind["entities"][0]["mentioned"] = bot
        signed = {"Authorization": f"Bearer {token_service.channel_token(APP_ID, bot_connector.url)}"}
        assert (await teams.post(bind, headers=signed)).status in (200, 201)
        assert bot_connector.of("reply")  # bound
        bot_connector.graph_team(GROUP, [CHANNEL])
        bot_connector.drop_next(1)
        clock.set(MONDAY_0900)
        await sweep(teams.ctx, clock.now(), deliverer=Deliverer(concurrency=4, sleep=teams.time.sleep))
        assert len(bot_connector.of("create")) == 1
        [read] = [c for c in bot_connector.calls if c.kind == "graph"]
        graph_token = next(i for i, form in enumerate(entra.token_requests, 1)
                           if form.get("scope") == "https://graph.microsoft.com/.default")
        assert read.authorization == f"Bearer outbound-{APP_ID}-{graph_token}"
        [run] = _runs(sessions, "monday")
        assert run.state == "posted"
    finally:
        await client.close()
        teams.ctx.engine.dispose()
