"""The sweep over a real database with the real SQL-backed sandbox messenger: due, late, missed,
skipped weeks, resumed claims, the Friday wins thread, the report and the nudge."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import delete, select

from bot.model import Interaction
from bot.rituals import runs
from bot.rituals.sweep import sweep
from storage.db import transaction
from storage.models import Person, RitualRun, RitualSetting, SandboxMessage, SkippedWeek, Win
from tests.rituals.conftest import MONDAY_0900, runs_of, sandbox_messages, team_id

TEAMS = {"retail", "ecology", "rd-efficiency", "ecology-hr"}


def person_id(sessions, email: str) -> int:
    with sessions() as s:
        return s.scalar(select(Person.id).where(Person.email == email))


async def test_monday_posts_once_per_team_at_nine_local(app_ctx, clock, deliverer, sessions):
    clock.set(MONDAY_0900 - timedelta(seconds=30))
    result = await sweep(app_ctx, clock.now(), deliverer=deliverer)
    assert [r for r in runs_of(sessions) if r.period == "2026-W48"] == []
    assert result.due == 0

    clock.set(MONDAY_0900)
    result = await sweep(app_ctx, clock.now(), deliverer=deliverer)
    monday = [r for r in runs_of(sessions, "monday") if r.period == "2026-W48"]
    assert {r.state for r in monday} == {"posted"}
    assert len(monday) == 4 and result.posted == 4
    for key in TEAMS:
        posts = sandbox_messages(sessions, key)
        assert len(posts) == 1, key
        assert "four-square of 2026-W48" in posts[0].text or "2026-W48" in json.dumps(posts[0].card)
    # Runs remember where they went: the sandbox channel named after the team.
    assert {r.channel_id for r in monday} == TEAMS and {r.platform for r in monday} == {"sandbox"}

    clock.advance(minutes=5)
    again = await sweep(app_ctx, clock.now(), deliverer=deliverer)
    assert again.due == 0 and again.posted == 0
    assert all(len(sandbox_messages(sessions, key)) == 1 for key in TEAMS)


async def test_individual_objectives_go_to_their_owner_only(app_ctx, clock, deliverer, sessions):
    clock.set(MONDAY_0900)
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    liu = person_id(sessions, "liu.liu@example.com")
    direct = sandbox_messages(sessions, f"dm:{liu}")
    assert len(direct) == 1
    assert "liu-o1-kr1" in json.dumps(direct[0].card)
    assert direct[0].visible_to_person_id == liu
    for key in TEAMS:
        for message in sandbox_messages(sessions, key):
            assert "liu-o1" not in json.dumps(message.card), key
            assert "Increase product delivery efficiency" not in json.dumps(message.card), key


async def test_missed_monday_is_posted_late_the_same_day_and_skipped_after(app_ctx, clock, deliverer, sessions):
    clock.set(MONDAY_0900 + timedelta(hours=6))  # 15:00 in Shanghai: the window is still open
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    assert {r.state for r in runs_of(sessions, "monday") if r.period == "2026-W48"} == {"posted"}

    # The next week the clock is down all Monday: Tuesday it records the miss, and posts nothing.
    clock.set(MONDAY_0900 + timedelta(days=8))
    result = await sweep(app_ctx, clock.now(), deliverer=deliverer)
    missed = [r for r in runs_of(sessions, "monday") if r.period == "2026-W49"]
    assert {r.state for r in missed} == {"skipped"} and len(missed) == 4
    assert all(r.reason.startswith("missed: due Mon 2026-11-30 09:00 Asia/Shanghai") for r in missed)
    assert result.skipped >= 4
    assert all(len(sandbox_messages(sessions, key)) == 1 for key in TEAMS)


async def test_a_skipped_week_posts_nothing_and_says_why(app_ctx, clock, deliverer, sessions):
    rd = team_id(sessions, "rd-efficiency")
    with transaction(sessions) as s:
        s.add(SkippedWeek(team_id=rd, week="2026-W48", org_id=app_ctx_org(s)))
    clock.set(MONDAY_0900)
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    run = next(r for r in runs_of(sessions, "monday") if r.team_id == rd and r.period == "2026-W48")
    assert run.state == "skipped" and run.reason == "week 2026-W48 skipped by a lead"
    assert sandbox_messages(sessions, "rd-efficiency") == []
    assert len(sandbox_messages(sessions, "ecology")) == 1


def app_ctx_org(session) -> int:
    from storage.models import Organization

    return session.scalar(select(Organization.id))


async def test_a_claim_whose_clock_died_is_resumed_and_posted_once(app_ctx, clock, deliverer, sessions):
    """The clock is killed between claim and post: its rows stay claimed; after the lease a new
    sweep (a restarted clock) takes them over and posts each exactly once."""
    clock.set(MONDAY_0900)
    with transaction(sessions) as s:
        from bot.rituals.sweep import due_runs

        to_claim, _ = due_runs(s, clock.now())
        claims = runs.claim_new(s, [d for d in to_claim if d["ritual"] == "monday"], "otherhost:4242:dead", clock.now())
    assert len(claims) == 4
    # The dead clock posted nothing. A restarted clock inside the lease leaves them alone ...
    clock.advance(minutes=1)
    result = await sweep(app_ctx, clock.now(), deliverer=deliverer, claimer="otherhost:1:restarted")
    assert result.resumed == 0
    assert all(sandbox_messages(sessions, key) == [] for key in TEAMS)
    # ... and takes them over once the lease has run out.
    clock.advance(seconds=runs.LEASE.total_seconds())
    result = await sweep(app_ctx, clock.now(), deliverer=deliverer, claimer="otherhost:1:restarted")
    assert result.resumed == 4 and result.posted == 4
    assert all(len(sandbox_messages(sessions, key)) == 1 for key in TEAMS)
    clock.advance(minutes=10)
    await sweep(app_ctx, clock.now(), deliverer=deliverer, claimer="otherhost:2:again")
    assert all(len(sandbox_messages(sessions, key)) == 1 for key in TEAMS)


async def test_a_claimer_process_gone_from_this_host_is_resumed_at_once(app_ctx, clock, deliverer, sessions):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = f"{socket.gethostname()}:{gone.stdout.strip()}:x"
    clock.set(MONDAY_0900)
    with transaction(sessions) as s:
        from bot.rituals.sweep import due_runs

        to_claim, _ = due_runs(s, clock.now())
        runs.claim_new(s, [d for d in to_claim if d["ritual"] == "monday"], dead, clock.now())
    result = await sweep(app_ctx, clock.now(), deliverer=deliverer)
    assert result.resumed == 4 and result.posted == 4
    assert all(len(sandbox_messages(sessions, key)) == 1 for key in TEAMS)


async def test_a_run_resumed_after_its_channel_post_sends_only_what_is_missing(app_ctx, clock, deliverer, sessions):
    """Killed after the Monday post went out but before the owners' direct messages: the restart
    sends the direct messages and does not post the four-square again."""
    clock.set(MONDAY_0900)
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    rd = team_id(sessions, "rd-efficiency")
    liu = person_id(sessions, "liu.liu@example.com")
    with transaction(sessions) as s:  # rewind the run to "channel posted, DM not yet", claimed by a dead clock
        run = s.scalar(select(RitualRun).where(RitualRun.team_id == rd, RitualRun.ritual == "monday"))
        run.state, run.claimed_by, run.posted_at = "claimed", "otherhost:9:dead", None
        run.delivered = {"channel": run.delivered["channel"]}
        s.execute(delete(SandboxMessage).where(SandboxMessage.channel_id == f"dm:{liu}"))
    clock.advance(seconds=runs.LEASE.total_seconds() + 1)
    result = await sweep(app_ctx, clock.now(), deliverer=deliverer)
    assert result.resumed == 1 and result.posted == 1
    assert len(sandbox_messages(sessions, "rd-efficiency")) == 1
    assert len(sandbox_messages(sessions, f"dm:{liu}")) == 1


async def test_friday_wins_thread_end_to_end(app_ctx, clock, deliverer, sessions, core, org_id):
    friday_1600 = MONDAY_0900 + timedelta(days=4, hours=7)
    clock.set(friday_1600)
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    rd = team_id(sessions, "rd-efficiency")
    friday = next(r for r in runs_of(sessions, "friday") if r.team_id == rd and r.period == "2026-W48")
    assert friday.state == "posted" and friday.message_ref
    root = next(m for m in sandbox_messages(sessions, "rd-efficiency") if str(m.id) == friday.message_ref)
    assert "What counts as a win" in json.dumps(root.card)

    # A reply marked as a win in the thread is a win of that week, even when it arrives after the week ended.
    clock.advance(hours=1)
    reply = Interaction(platform="sandbox", workspace=str(org_id), actor="engineer@example.com",
                        actor_email="engineer@example.com", kind="message", text="win: Shipped the new pipeline",
                        conversation="rd-efficiency", message_id="reply-1", thread_id=friday.message_ref)
    core.handle(reply)
    core.handle(reply)  # redelivered: still one win
    with sessions() as s:
        wins = s.scalars(select(Win).where(Win.team_id == rd)).all()
    assert [(w.week, w.text) for w in wins] == [("2026-W48", "Shipped the new pipeline")]

    clock.set(friday_1600 + timedelta(hours=2))  # the wrap-up, 18:00: a reply in the same thread
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    wrapup = next(r for r in runs_of(sessions, "wrapup") if r.team_id == rd and r.period == "2026-W48")
    assert wrapup.state == "posted"
    replies = [m for m in sandbox_messages(sessions, "rd-efficiency") if m.thread_id == int(friday.message_ref)]
    assert len(replies) == 1
    assert "Shipped the new pipeline" in json.dumps(replies[0].card)
    assert "1 win" in replies[0].text or "1 win" in json.dumps(replies[0].card)


async def test_friday_lists_p1s_with_a_done_button(app_ctx, clock, deliverer, sessions, chat):
    clock.set(MONDAY_0900 + timedelta(days=1))
    chat.say("priority add P1 Ship the vendor integration", conversation=None)
    chat.say("priority add P2 Tidy the backlog")
    clock.set(MONDAY_0900 + timedelta(days=4, hours=7))
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    rd = team_id(sessions, "rd-efficiency")
    friday = next(r for r in runs_of(sessions, "friday") if r.team_id == rd and r.period == "2026-W48")
    root = next(m for m in sandbox_messages(sessions, "rd-efficiency") if str(m.id) == friday.message_ref)
    card = json.dumps(root.card)
    assert "Ship the vendor integration" in card and "Tidy the backlog" not in card
    assert "priority_done" in card


async def test_report_goes_to_each_lead_once(app_ctx, clock, deliverer, sessions):
    clock.set(MONDAY_0900 + timedelta(days=4, hours=9, minutes=30))  # Friday 18:30, after the wrap-up
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    reports = runs_of(sessions, "report")
    assert {r.state for r in reports if r.period == "2026-W48"} == {"posted"}
    for email in ("ceo@example.com", "vp.ecology@example.com", "director.rd@example.com", "hr.lead@example.com"):
        dms = sandbox_messages(sessions, f"dm:{person_id(sessions, email)}")  # the wrap-up's top-three form too
        assert len([m for m in dms if m.card["title"].startswith("Weekly status report")]) == 1, email
    assert sandbox_messages(sessions, f"dm:{person_id(sessions, 'engineer@example.com')}") == []


async def test_nudge_reminds_owners_who_have_not_checked_in(app_ctx, clock, deliverer, sessions, chat):
    rd = team_id(sessions, "rd-efficiency")
    with transaction(sessions) as s:
        s.get(RitualSetting, (rd, "nudge")).enabled = True
    clock.set(MONDAY_0900)
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    clock.advance(hours=2)
    chat.say("confidence 1 7 vendor signed")  # the engineer checks in after the Monday post
    clock.set(MONDAY_0900 + timedelta(days=1, hours=1))  # Tuesday 10:00
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    nudge = next(r for r in runs_of(sessions, "nudge") if r.team_id == rd and r.period == "2026-W48")
    assert nudge.state == "posted", nudge.reason
    engineer = person_id(sessions, "engineer@example.com")
    assert sandbox_messages(sessions, f"dm:{engineer}") == []
    nudged = {int(k.split(":")[1]) for k in nudge.delivered}
    assert nudged and engineer not in nudged
    for person in nudged:
        assert any("Check-in reminder" in (m.text or "") for m in sandbox_messages(sessions, f"dm:{person}"))


async def test_without_a_running_messenger_for_its_channel_a_team_is_skipped_with_the_reason(
        app_ctx, clock, deliverer, sessions):
    del app_ctx.messengers["sandbox"]
    clock.set(MONDAY_0900)
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    monday = [r for r in runs_of(sessions, "monday") if r.period == "2026-W48"]
    assert {r.state for r in monday} == {"skipped"}
    assert all(r.reason.startswith("no channel: bind one with /okr bind") for r in monday)


async def test_a_batch_claimed_late_in_a_long_sweep_holds_its_lease_from_its_claim(app_ctx, clock, deliverer, sessions,
                                                                                   engine):
    """A sweep runs at the `now` it started with, and its later batches were stamped with it: on a slow host a
    2,000-post fan-out outlived the lease (5 minutes), so its fresh claims were already stale for the next clock's
    sweep, which took them over. A claim's lease starts when it is made."""
    clock.set(MONDAY_0900 + runs.LEASE + timedelta(minutes=1))  # this batch is claimed long after the sweep began
    stamps: list[object] = []

    def claimed(_conn, _cursor, sql: str, _parameters, context, _many) -> None:
        if sql.lstrip().upper().startswith("INSERT INTO RITUAL_RUNS"):
            stamps.extend(v for row in context.compiled_parameters for k, v in row.items()
                          if k.startswith("claimed_at") and row.get(k.replace("claimed_at", "state")) == "claimed")

    from sqlalchemy import event

    event.listen(engine, "before_cursor_execute", claimed)
    try:
        await sweep(app_ctx, MONDAY_0900, deliverer=deliverer)
    finally:
        event.remove(engine, "before_cursor_execute", claimed)
    assert stamps and all(stamp == clock.now() for stamp in stamps), stamps
