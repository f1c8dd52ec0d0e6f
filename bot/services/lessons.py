"""The retrospective thread: every reply in it is a lesson of the cycle, kept with the team.

The method: "Be prepared to fail, learn from failure, and try again"; a set OKR "will either succeed or
fail. If it fails, you will learn from experience and do better next time." When a cycle ends, each team
channel gets the retrospective post (bot.rituals.quarterly.retro_post) asking what we learned and what to
keep, stop and start. Unlike the Friday thread, where only replies marked `win:` count, every reply here is
a lesson: a reply starting with `keep:`, `stop:` or `start:` is filed under it, any other is "learned".
An edit updates the lesson, a deletion removes it, a redelivered reply is stored once.
"""

from __future__ import annotations

import re

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.context import Ctx
from bot.cycles import cycle_of_period
from bot.handlers import message
from bot.model import Interaction, Reply
from bot.rituals import catalog, runs
from storage.models import Lesson

KINDS = ("learned", "keep", "stop", "start")  # the order the summary and the dashboard show them in
MAX_LESSON = 2000
_MARKED = re.compile(r"^\s*(keep|stop|start)\s*:\s*(.*)$", re.IGNORECASE | re.DOTALL)


def lesson_of(text: str) -> tuple[str, str] | None:
    """(kind, text) of a reply: "stop: weekly status meetings" -> ("stop", "weekly status meetings");
    anything else is something learned. An empty reply is no lesson."""
    match = _MARKED.match(text or "")
    kind, body = (match.group(1).lower(), match.group(2)) if match else ("learned", text or "")
    body = body.strip()[:MAX_LESSON]
    return (kind, body) if body else None


@message
def retro_thread_reply(ctx: Ctx, interaction: Interaction) -> Reply | None:
    """A reply in a retrospective thread is a lesson of that team and cycle; a message elsewhere is not
    this handler's (None)."""
    run = runs.run_of_thread(ctx.session, ctx.org.id, ctx.platform, interaction.thread_id, catalog.lesson_threads())
    if run is None or not interaction.message_id:
        return None
    cycle = cycle_of_period(ctx.session, ctx.org.id, run.period)
    if cycle is None:
        return Reply()
    existing = ctx.session.scalar(select(Lesson).where(
        Lesson.org_id == ctx.org.id, Lesson.platform == ctx.platform, Lesson.message_id == interaction.message_id))
    found = lesson_of(interaction.text) if interaction.kind != "message_deleted" else None
    if found is None:
        if existing is not None and (interaction.kind == "message_deleted" or interaction.text.strip()):
            ctx.session.execute(delete(Lesson).where(Lesson.id == existing.id))
        return Reply()
    kind, text = found
    if existing is not None:
        existing.kind, existing.text = kind, text
    else:
        ctx.session.add(Lesson(org_id=ctx.org.id, cycle_id=cycle.id, team_id=run.team_id, kind=kind, text=text,
                               author_person_id=ctx.person.id, platform=ctx.platform,
                               message_id=interaction.message_id, at=ctx.now))
    return Reply()


def lessons_of(session: Session, org_id: int, cycle_ids: list[int]) -> list[Lesson]:
    """The lessons of these cycles, by cycle, team and the order they were written."""
    if not cycle_ids:
        return []
    return list(session.scalars(select(Lesson).where(Lesson.org_id == org_id, Lesson.cycle_id.in_(cycle_ids))
                                .order_by(Lesson.cycle_id, Lesson.team_id, Lesson.at, Lesson.id)))
