"""Posts that keep up (issue 9, item 6): after "Done?" or a win, the Friday post is redrawn in place
through the Messenger's update (Slack chat.update, the sandbox's row), never in the person's reply.
The mark that asks for the redraw is in the database, so a post whose redraw never happened (a crash)
is redrawn by the next pass of any process."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from adapters.slack.routes import BRIDGE
from bot.model import Interaction
from bot.rituals.refresh import refresh_posts
from bot.rituals.sweep import sweep
from okrbot.server import POSTS
from storage.models import Priority, RitualRun
from tests.rituals.conftest import MONDAY_0900, runs_of, sandbox_messages, team_id
from tests.rituals.test_slack_rituals import posts, rd, slack_ctx  # noqa: F401 - slack_ctx is a fixture

FRIDAY_1600 = MONDAY_0900 + timedelta(days=4, hours=7)


def friday_run(sessions, team: int) -> RitualRun:
    return next(r for r in runs_of(sessions, "friday") if r.team_id == team and r.period == "2026-W48")


async def test_done_and_a_win_redraw_the_slack_friday_post_in_place(slack_ctx, fake_slack, clock,  # noqa: F811
                                                                   deliverer):
    ctx, slack = slack_ctx
    app = slack.client.server.app
    clock.set(FRIDAY_1600 - timedelta(hours=1))
    await slack.command("priority add P1 ship the vendor API")
    await app[BRIDGE].drain()
    clock.set(FRIDAY_1600)
    await sweep(ctx, clock.now(), deliverer=deliverer)
    friday = friday_run(ctx.sessions, rd(ctx))
    [root] = [b for b in posts(fake_slack, "C0RDEFF") if "Done?" in json.dumps(b["blocks"])]
    with ctx.sessions() as s:
        priority_id = s.scalar(select(Priority.id).where(Priority.text == "ship the vendor API"))

    await slack.click("priority_done", str(priority_id))
    await app[BRIDGE].drain()
    with ctx.sessions() as s:
        assert s.get(RitualRun, friday.id).stale_since is not None  # marked with the change, in its transaction
    await app[POSTS].refresh()  # what the background redrawer does at once; waits for a pass in flight
    updates = [b for b in fake_slack.bodies("chat.update") if b["ts"] == friday.message_ref]
    assert updates and updates[-1]["channel"] == "C0RDEFF"
    redrawn = json.dumps(updates[-1]["blocks"], ensure_ascii=False)
    assert "✅ *P1* ship the vendor API _(done)_" in redrawn
    assert "priority_done" not in redrawn and "priority_done" in json.dumps(root["blocks"])
    with ctx.sessions() as s:
        assert s.get(RitualRun, friday.id).stale_since is None

    await slack.event({"type": "message", "channel": "C0RDEFF", "user": "U0ENGINEER", "ts": "1700000500.000100",
                       "text": "win: cut build time in half", "thread_ts": friday.message_ref,
                       "channel_type": "channel"})
    await app[BRIDGE].drain()
    await app[POSTS].refresh()
    last = [b for b in fake_slack.bodies("chat.update") if b["ts"] == friday.message_ref][-1]
    assert "*1* win so far this week" in json.dumps(last["blocks"], ensure_ascii=False)
    assert len(posts(fake_slack, "C0RDEFF")) == 1  # redrawn, never posted again


async def test_a_mark_left_by_a_crash_is_redrawn_by_the_next_pass(app_ctx, clock, deliverer, sessions, core,
                                                                  org_id):
    clock.set(FRIDAY_1600)
    await sweep(app_ctx, clock.now(), deliverer=deliverer)
    rd = team_id(sessions, "rd-efficiency")
    friday = friday_run(sessions, rd)
    reply = Interaction(platform="sandbox", workspace=str(org_id), actor="engineer@example.com",
                        actor_email="engineer@example.com", kind="message", text="win: shipped the pipeline",
                        conversation="rd-efficiency", message_id="reply-1", thread_id=friday.message_ref)
    kicked = []
    core.posts_changed = lambda: kicked.append(1)
    core.handle(reply)  # the process "dies" here: nothing redrew the post
    assert kicked == [1]
    with sessions() as s:
        assert s.get(RitualRun, friday.id).stale_since is not None
    [root] = [m for m in sandbox_messages(sessions, "rd-efficiency") if str(m.id) == friday.message_ref]
    assert "win so far" not in json.dumps(root.card, ensure_ascii=False)

    assert await refresh_posts(sessions, app_ctx.messengers, clock.now, deliverer) == 1  # a new process's pass
    [root] = [m for m in sandbox_messages(sessions, "rd-efficiency") if str(m.id) == friday.message_ref]
    assert "*1* win so far this week" in json.dumps(root.card, ensure_ascii=False)
    assert root.updated_at is not None
    assert await refresh_posts(sessions, app_ctx.messengers, clock.now, deliverer) == 0  # nothing left marked
    core.handle(reply)  # redelivered: nothing changed, nothing to redraw
    with sessions() as s:
        assert s.get(RitualRun, friday.id).stale_since is None
