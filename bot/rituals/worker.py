"""Carrying out one claimed run: build its messages, send what is missing, record the verdict.

Used by the sweep and by `run_ritual` alike. Database work runs in worker threads (blocking SQL,
short transactions); sending runs on the event loop through the Deliverer. Each message is marked
"sending" before it goes and recorded with its reference right after, so a run resumed after a
crash sends only what is missing. Only a crash during the send itself leaves a message in doubt:
the platform is asked whether it arrived when its messenger can tell (an optional
`find_post(to, since, card) -> MessageRef | None`), otherwise it is sent again (a missing Monday
post is worse than one seen twice).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import i18n, metrics, platforms
from bot.context import team_language, team_timezone
from bot.model import Conversation, MessageRef, Messenger, PermanentFailure
from bot.requestid import NONE, REQUEST_ID
from bot.rituals import catalog, runs
from bot.rituals.catalog import Occasion
from bot.rituals.content import Outbound, lead_alert_card
from bot.rituals.delivery import Deliverer, Failed
from bot.rituals.routes import channel_of, person_of
from bot.rituals.schedule import window_end
from bot.workspaces import workspace_of
from storage.db import transaction
from storage.models import Organization, Person, RitualRun, Team, TeamMember

log = logging.getLogger(__name__)
IN_DOUBT_MARGIN = timedelta(minutes=1)  # clock skew between the dead clock's host and the platform
# A look-up the platform failed to answer (a 5xx, a 429, no consent) is asked again this many times in
# all before the message is sent again: a lookup failing once must not turn a post in doubt into two.
LOOKUP_TRIES = 4


@dataclass(frozen=True)
class Item:
    """An Outbound with its address resolved: a conversation to post in, or a person's account."""

    outbound: Outbound
    platform: str
    workspace: str
    conversation: Conversation | None = None  # channel posts and thread replies
    user_id: str | None = None  # direct messages
    thread: MessageRef | None = None  # the Friday post the wrap-up replies to


@dataclass
class Prepared:
    items: list[Item] = field(default_factory=list)
    skip: str | None = None  # the run will not happen, and why
    unreachable: dict[str, str] = field(default_factory=dict)  # message key -> why it cannot be sent
    team_key: str = ""
    team_name: str = ""
    conversation: Conversation | None = None
    window_end: datetime | None = None


@dataclass(frozen=True)
class Verdict:
    run_id: int
    team_id: int
    ritual: str
    period: str
    state: str  # posted | failed | skipped | lost (another clock took it over) | stopped (handed back)
    reason: str | None = None
    platform: str | None = None
    channel_id: str | None = None


def prepare(session: Session, claim: runs.Claim, platforms: set[str], now: datetime,
            base: str | None = None) -> Prepared:
    """What a claim sends, where (as its catalog entry says); `base` is the dashboard's base URL the cards link to."""
    ritual = catalog.CATALOG[claim.ritual]
    team = session.get(Team, claim.team_id)
    org = session.get(Organization, claim.org_id)
    zone = team_timezone(session, team, org)
    prepared = Prepared(team_key=team.key, team_name=team.name)
    if claim.due_at is not None:
        prepared.window_end = window_end(claim.ritual, claim.due_at, zone)
    conversation = channel_of(session, org, team, platforms)
    prepared.conversation = conversation
    occasion = Occasion(session, org, team, claim.period, now, base, zone)
    post, direct = ritual.post_builder(), ritual.direct_builder()
    if post is not None:
        if conversation is None:
            prepared.skip = f"no channel: bind one with /okr bind {team.key} (running: {', '.join(sorted(platforms))})"
            return prepared
        thread = _thread_of(session, claim, conversation, ritual.reply_to) if ritual.reply_to else None
        key = "thread" if thread else "channel"
        with i18n.speaking(team_language(team, org)):
            card = post(occasion)
        prepared.items.append(Item(Outbound(key, card), conversation.platform, conversation.workspace,
                                   conversation, thread=thread))
    outbounds: list[Outbound] = direct(occasion) if direct is not None else []
    if post is None and not outbounds:
        prepared.skip = ritual.nothing_to_send
        return prepared
    prefer = conversation.platform if conversation else None
    for outbound in outbounds:
        if outbound.channel is not None:
            platform, channel_id = outbound.channel
            if platform not in platforms:
                prepared.unreachable[outbound.key] = f"{platform} is not running here (for {channel_id})"
                continue
            to = Conversation(platform, workspace_of(session, org, platform), channel_id)
            prepared.items.append(Item(outbound, platform, to.workspace, to))
            continue
        person = session.get(Person, outbound.person_id)
        route = person_of(session, org, person, platforms, prefer)
        if route is None:
            prepared.unreachable[outbound.key] = f"{person.name} has no account on a running platform"
            continue
        platform, user_id, workspace = route
        prepared.items.append(Item(outbound, platform, workspace, user_id=user_id))
    return prepared


def _thread_of(session: Session, claim: runs.Claim, conversation: Conversation, ritual: str) -> MessageRef | None:
    """The same week's post of `ritual` in this conversation's platform: the thread a reply goes in."""
    root = session.scalar(select(RitualRun).where(
        RitualRun.team_id == claim.team_id, RitualRun.ritual == ritual, RitualRun.period == claim.period))
    if root is None or not root.message_ref or root.platform != conversation.platform:
        return None
    return MessageRef(root.channel_id or conversation.channel_id, root.message_ref, root.thread_ref)


class Worker:
    """Executes claims against one set of messengers and one database."""

    def __init__(self, sessions: sessionmaker[Session], messengers: Mapping[str, Messenger],
                 now: Callable[[], datetime], deliverer: Deliverer, base: str | None = None) -> None:
        self.sessions, self.messengers, self.now, self.deliverer = sessions, messengers, now, deliverer
        self.base = base  # the dashboard's base URL: key results in the posts link to their pages

    async def _db(self, fn, *args):
        def work():
            with transaction(self.sessions) as session:
                return fn(session, *args)

        return await asyncio.to_thread(work)

    async def execute(self, claim: runs.Claim, enforce_window: bool = True) -> Verdict:
        """Carry out one run; its log lines carry the request id that asked for it, else `run-ID`."""
        token = REQUEST_ID.set(REQUEST_ID.get() if REQUEST_ID.get() != NONE else f"run-{claim.run_id}")
        try:
            verdict = await self._execute(claim, enforce_window)
        finally:
            REQUEST_ID.reset(token)
        metrics.RITUAL_RUNS.labels(verdict.ritual, verdict.state).inc()
        return verdict

    async def _execute(self, claim: runs.Claim, enforce_window: bool) -> Verdict:
        def verdict(state: str, reason: str | None = None, conversation: Conversation | None = None) -> Verdict:
            return Verdict(claim.run_id, claim.team_id, claim.ritual, claim.period, state, reason,
                           conversation.platform if conversation else claim.platform,
                           conversation.channel_id if conversation else claim.channel_id)

        now = self.now()
        prepared = await self._db(prepare, claim, set(self.messengers), now, self.base)
        primary_sent = any(key in claim.delivered and _sent(claim.delivered[key]) for key in ("channel", "thread"))
        if enforce_window and prepared.window_end and now > prepared.window_end and not primary_sent:
            prepared.skip = f"missed: its window closed at {prepared.window_end:%Y-%m-%d %H:%M} UTC (clock stopped)"
        if prepared.skip:
            await self._db(runs.finish, claim, "skipped", now, prepared.skip)
            return verdict("skipped", prepared.skip, prepared.conversation)
        problems = []
        for key, why in prepared.unreachable.items():
            if key not in claim.delivered:
                await self._db(runs.record_unsent, claim, key, why)
            problems.append(why)
        for item in prepared.items:
            key = item.outbound.key
            if key in claim.delivered and claim.delivered[key] != runs.SENDING:
                continue  # sent (or given up on) before a restart
            if claim.delivered.get(key) == runs.SENDING:
                found = await self._find_in_doubt(claim, item)
                if found is not None:
                    if not await self._db(runs.record_sent, claim, key, _reference(found), self.now(),
                                          _primary(key, item, found)):
                        return verdict("lost", "taken over by another clock")
                    continue
                log.warning("run %s: %s was being sent when its clock stopped; sending it again", claim.run_id, key)
            try:
                # A failed attempt may still have arrived (its answer lost): asked before the next one.
                ref = await self.deliverer.send((item.platform, item.workspace), self._call(item),
                                                self._before(claim, key),
                                                self._lookup(claim, item, self.now() - IN_DOUBT_MARGIN))
            except Failed as failure:
                primary = key in ("channel", "thread")
                if not primary:
                    await self._db(runs.record_unsent, claim, key, failure.reason)
                    problems.append(f"{key}: {failure.reason}")
                    continue
                reason = f"{'permanent' if failure.permanent else 'gave up'}: {failure.reason}"
                if not await self._db(runs.finish, claim, "failed", self.now(), reason):
                    return verdict("lost", "taken over by another clock")
                if failure.permanent:
                    await self._alert_leads(claim, prepared, failure.reason)
                return verdict("failed", reason, item.conversation)
            if ref is None:
                return await self.stopped(claim) if self.deliverer.closing else verdict("lost", "taken over")
            if not await self._db(runs.record_sent, claim, key, _reference(ref), self.now(), _primary(key, item, ref)):
                return verdict("lost", "taken over by another clock")
        reason = "; ".join(problems) or None
        if not await self._db(runs.finish, claim, "posted", self.now(), reason):
            return verdict("lost", "taken over by another clock")
        channel = catalog.CATALOG[claim.ritual].audience == "channel"
        return verdict("posted", reason, prepared.conversation if channel else None)

    async def stopped(self, claim: runs.Claim) -> Verdict:
        """The clock is stopping: hand the run back so the next clock resumes it at once."""
        await self._db(runs.release, claim)
        return Verdict(claim.run_id, claim.team_id, claim.ritual, claim.period, "stopped", "the clock stopped")

    async def _find_in_doubt(self, claim: runs.Claim, item: Item) -> MessageRef | None:
        """A message a dead clock was sending may have gone out: ask the platform before sending it again."""
        if claim.attempted_at is None:
            return None
        lookup = self._lookup(claim, item, claim.attempted_at - IN_DOUBT_MARGIN)
        return await lookup() if lookup else None

    def _lookup(self, claim: runs.Claim, item: Item, since: datetime):
        """How to ask the platform whether `item` went out since `since`, when its messenger can tell (None
        otherwise). Both look-ups are optional capabilities of a Messenger: `find_post(to, since, card,
        thread=None)` for channel posts and thread replies, `find_direct(user_id, workspace, since, card)`
        for direct messages. A look-up raises when the platform cannot tell; asked LOOKUP_TRIES times (once
        when it raised PermanentFailure: it never can), it then answers None: send again rather than lose
        the message."""
        messenger, card = self.messengers[item.platform], item.outbound.card
        if item.user_id is not None:
            find_direct = getattr(messenger, "find_direct", None)
            ask = find_direct and (lambda: find_direct(item.user_id, item.workspace, since, card))
        else:
            find_post = getattr(messenger, "find_post", None)
            ask = find_post and item.conversation and (
                lambda: find_post(item.conversation, since, card, thread=item.thread))
        if not ask:
            return None

        async def lookup() -> MessageRef | None:
            for attempt in range(LOOKUP_TRIES):
                try:
                    return await ask()
                except PermanentFailure as error:  # it never can (no permission to read): send again
                    log.warning("run %s: cannot look for its message %s (%s)", claim.run_id, item.outbound.key, error)
                    return None
                except Exception as error:  # noqa: BLE001 - the platform cannot tell now: ask again, then send
                    log.warning("run %s: could not look for its message %s (%s)", claim.run_id, item.outbound.key,
                                error)
                if attempt + 1 < LOOKUP_TRIES:
                    await self.deliverer.sleep(self.deliverer.policy.backoff * 2 ** attempt)
            return None

        return lookup

    def _before(self, claim: runs.Claim, key: str):
        async def before() -> bool:
            return await self._db(runs.start_sending, claim, key, self.now())

        return before

    def _call(self, item: Item):
        messenger = self.messengers[item.platform]
        card = item.outbound.card
        if item.user_id is not None:
            return lambda: messenger.send_direct(item.user_id, item.workspace, card)
        if item.thread is not None:
            return lambda: messenger.reply(item.conversation, item.thread, card)
        return lambda: messenger.post(item.conversation, card)

    async def _alert_leads(self, claim: runs.Claim, prepared: Prepared, reason: str) -> None:
        """Tell the team's leads once per run; `lead_notified` is set before sending, so never twice."""

        def leads(session: Session) -> list[tuple[str, str, str]]:
            run = session.get(RitualRun, claim.run_id, with_for_update=True)
            if run is None or run.lead_notified:
                return []
            run.lead_notified = True
            org = session.get(Organization, claim.org_id)
            people = session.scalars(select(Person).join(TeamMember, TeamMember.person_id == Person.id)
                                     .where(TeamMember.team_id == claim.team_id, TeamMember.role == "lead"))
            prefer = prepared.conversation.platform if prepared.conversation else None
            return [route for p in people if (route := person_of(session, org, p, set(self.messengers), prefer))]

        routes = await self._db(leads)
        channel = prepared.conversation.channel_id if prepared.conversation else "its channel"
        for platform, user_id, workspace in routes:
            card = lead_alert_card(prepared.team_name, prepared.team_key, claim.ritual, claim.period, channel, reason,
                                   platforms.spec(platform).prefix)
            messenger = self.messengers[platform]
            try:
                await self.deliverer.send((platform, workspace), lambda m=messenger, u=user_id, w=workspace, c=card:
                                          m.send_direct(u, w, c))
            except Failed as failure:
                log.warning("could not tell a lead of %s about %s: %s", prepared.team_key, reason, failure.reason)


def _primary(key: str, item: Item, ref: MessageRef) -> dict | None:
    """Where the run's main post went, for the row (the Friday post's id is what the wins thread matches)."""
    if key not in ("channel", "thread") or item.conversation is None:
        return None
    primary = {"platform": item.platform, "channel_id": ref.channel_id or item.conversation.channel_id}
    if key == "channel":
        primary.update(message_ref=ref.message_id, thread_ref=ref.thread_id)
    return primary


def _sent(value: str) -> bool:
    return value != runs.SENDING and not value.startswith("failed")


def _reference(ref: MessageRef) -> str:
    return ref.message_id if not ref.thread_id else f"{ref.message_id}|{ref.thread_id}"
