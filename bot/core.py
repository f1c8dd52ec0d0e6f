"""The platform-neutral entry point: one Interaction in, one Reply out, one transaction.

(A handler that needs the platform's answer first, bot.directory.Ask, has its transaction rolled back
and runs again in a new one once the platform answered: the one transaction that writes holds no HTTP.)

Adapters call `Core.handle` (from a worker thread: it does blocking SQL). Bad input never escapes as
an exception: a `Refusal` rolls the transaction back and becomes a friendly card; anything
unexpected is logged with its stack trace and the person gets an apology, never the trace.
An Interaction with a key is claimed in that same transaction (bot.inbox): a second arrival of one
form or command stores nothing, and a refused form can be sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot import i18n, inbox, platforms, workspaces
from bot.commands import USAGE, UsageError, parse
from bot.context import Ctx, claimable, resolve_actor, speak_to
from bot.directory import Ask, Directory, DirectoryError, Profile
from bot.errors import Refusal
from bot.handlers import Handlers, build
from bot.model import Card, Context, Interaction, Reply, Text
from bot.render import render_error
from bot.rituals import catalog
from bot.rituals.refresh import STALE
from bot.services import (
    advice,
    away,
    carry,
    changes,
    checkins,
    dashboard_link,
    drafts,
    foursquare,
    general,
    language,
    lessons,
    mission,
    notes,
    priorities,
    proposals,
    scores,
    settings,
    setup,
    sources,
    stats_reply,
    status_report,
    subscriptions,
    warnings,
    weekly,
    wrapup,
)
from bot.services.home import home_card
from bot.timesource import Clock, SystemClock
from storage.db import transaction
from storage.models import Person, PlatformAccount, Workspace

log = logging.getLogger(__name__)
MAX_ASKS = 8  # questions to the platform one interaction may need answered (bot.directory.Ask); more is a bug
# The service modules whose marked functions handle commands, buttons, forms and thread messages
# (bot.handlers): every command of the grammar must have its handler here, or no Core starts.
SERVICES: tuple[ModuleType, ...] = (
    advice, away, carry, changes, checkins, dashboard_link, drafts, foursquare, general, language, lessons, mission,
    notes, priorities, proposals, scores, settings, setup, sources, stats_reply, status_report, subscriptions,
    warnings, weekly, wrapup,
)


def apology(interaction: Interaction) -> Reply:
    """Nothing was kept: say so. A form stays open with the apology under its first field, so what the
    person typed is not lost with a closed form (they send it again); anything else gets a card."""
    message = render_error("internal")
    if interaction.kind == "submit":
        return Reply(errors={next(iter(interaction.form or {}), ""): message})
    return Reply(card=Card(None, (Text(message),), fallback="Something went wrong"))


@dataclass
class Core:
    sessions: sessionmaker[Session]
    clock: Clock = SystemClock()
    dashboard_url: str | None = None  # base URL for sign-in links, when the dashboard is public
    signin_key: str | None = None  # SECRET_KEY: signs dashboard sign-in links (bot.signin)
    # Called (from the handling thread) after a transaction that marked ritual posts for a redraw
    # committed: the web process's bot.rituals.refresh.PostRefresher.kick. Never waited for.
    posts_changed: Callable[[], None] | None = None
    services: tuple[ModuleType, ...] = SERVICES
    # Each platform's people and channels (bot.directory), registered by its adapter: set-up in chat needs it.
    directories: dict[str, Directory] = field(default_factory=dict)
    handlers: Handlers = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.handlers = build(self.services)  # raises HandlerError: a command without a handler fails here
        catalog.check()  # and so does a ritual whose builder is misspelt

    def handle(self, interaction: Interaction, keep: Callable[[], bool] | None = None) -> Reply:
        """The reply to one interaction, its writes committed. `keep`, when given, is asked just before the commit
        and decides for every outcome: False rolls everything back and raises inbox.GaveUp (the adapter stopped
        waiting and recorded the command to be done again), and a refusal then marks no recorded command done."""
        with i18n.speaking(interaction.actor_locale):  # until the person is known: what their platform says
            return self._handle(interaction, keep)

    def _handle(self, interaction: Interaction, keep: Callable[[], bool] | None) -> Reply:
        if not platforms.is_registered(interaction.platform):
            return Reply(card=unknown_platform(interaction.platform))
        answers: dict[str, object] = {}  # the platform's answers, asked between attempts (bot.directory.Ask)
        raced = False
        while True:
            try:
                return self._attempt(interaction, keep, answers, raced)
            except _Raced:
                raced = True  # once: the row another request just committed is there to be read this time
            except Ask as ask:
                if len(answers) >= MAX_ASKS:
                    log.error("%s %s asked the platform more than %d times", interaction.kind, interaction.name,
                              MAX_ASKS)
                    self._settle(interaction, keep)
                    return apology(interaction)
                answers[ask.key] = ask.answer(self.directories.get(interaction.platform))

    def _attempt(self, interaction: Interaction, keep: Callable[[], bool] | None, answers: dict[str, object],
                 raced: bool) -> Reply:
        """One transaction of `_handle`; raises Ask, rolled back, when the handler needs the platform first, and
        _Raced when a different request committed a row this one was about to create (unless it `raced` already)."""
        prefix = platforms.spec(interaction.platform).prefix
        try:
            with transaction(self.sessions) as session:
                if interaction.key and inbox.handled(session, interaction.key):
                    raise _Refused(self._duplicate(interaction))
                reply = self._dispatch(session, interaction, answers)
                if reply.errors:
                    raise _Refused(reply)  # a form sent back with errors keeps nothing, its claim included
                if interaction.key and not inbox.claim(session, interaction.key, self.clock.now()):
                    raise _Refused(self._duplicate(interaction))  # another arrival took it meanwhile
                _kept(keep)
            if session.info.pop(STALE, False) and self.posts_changed is not None:
                self.posts_changed()
            return reply
        except (inbox.GaveUp, Ask):
            raise
        except _Refused as refused:
            _kept(keep)
            return refused.reply
        except Refusal as refusal:
            self._settle(interaction, keep)
            return refusal_reply(refusal, prefix, interaction.kind == "submit")
        except IntegrityError:
            if interaction.key and self._handled(interaction.key):
                # The same sending arrived twice at once: the other one did the work (its claim is its last
                # write, so this one raced it on the work's own rows: a first link of the workspace, say).
                _kept(keep)
                return self._duplicate(interaction)
            if interaction.kind.startswith("message"):
                # Two deliveries of one thread message raced; the other one stored it (unique message id).
                log.info("duplicate delivery of message %s ignored", interaction.message_id)
                return Reply()
            if not raced:
                # Another request created the same row first (a new workspace's first two commands both link
                # it): done again, this one reads that row instead of creating it.
                raise _Raced from None
            log.exception("failed to handle %s %s", interaction.kind, interaction.name or interaction.text[:40])
            self._settle(interaction, keep)
            return apology(interaction)
        except Exception:
            log.exception("failed to handle %s %s", interaction.kind, interaction.name or interaction.text[:40])
            self._settle(interaction, keep)
            return apology(interaction)

    def _handled(self, key: str) -> bool:
        try:
            with self.sessions() as session:
                return inbox.handled(session, key)
        except Exception:  # noqa: BLE001 - the database is gone: this one is answered with an apology
            return False

    @staticmethod
    def _duplicate(interaction: Interaction) -> Reply:
        log.info("duplicate %s %s ignored", interaction.kind, interaction.key)
        return duplicate_reply()

    def _settle(self, interaction: Interaction, keep: Callable[[], bool] | None) -> None:
        """A recorded command that was answered with a refusal or an apology is done: no process redoes it.
        (A form's claim simply rolled back with the refusal: the corrected form can be sent again.) Work that
        was asked to `keep` has no record of its own: one made after it gave up is left for its next run."""
        if keep is not None:
            _kept(keep)
            return
        if interaction.key is None or interaction.kind != "command":
            return
        try:
            inbox.settle(self.sessions, interaction.key, self.clock.now())
        except Exception:  # noqa: BLE001 - the database is gone too; the next process will try the command again
            log.exception("could not mark %s done", interaction.key)

    def knows_account(self, platform: str, workspace: str, account_id: str) -> tuple[bool, bool]:
        """(linked, locale known): whether a platform account is linked to a person already (adapters look up an
        email only if not), and whether its platform locale was asked for (bot.i18n; "" counts: asked)."""
        with self.sessions() as session:
            locale = session.execute(
                select(PlatformAccount.locale)
                .join(Workspace, Workspace.org_id == PlatformAccount.org_id)
                .where(Workspace.platform == platform, Workspace.workspace_id == workspace,
                       PlatformAccount.platform == platform, PlatformAccount.account_id == account_id)
                .limit(1)
            ).first()
            return locale is not None, locale is not None and locale[0] is not None

    def remember_locale(self, platform: str, workspace: str, account_id: str, locale: str) -> None:
        """Store the locale a platform reported for a linked account (asked after the answer, never before it)."""
        with transaction(self.sessions) as session:
            org_ids = select(Workspace.org_id).where(Workspace.platform == platform,
                                                     Workspace.workspace_id == workspace).scalar_subquery()
            session.execute(update(PlatformAccount).where(
                PlatformAccount.org_id == org_ids, PlatformAccount.platform == platform,
                PlatformAccount.account_id == account_id).values(locale=locale[:35]))

    def home(self, platform: str, workspace: str, actor: str, email: str | None = None) -> Card:
        """A person's home card (Slack's App Home tab); a stranger gets the "how to get added" message."""
        with i18n.speaking(None):
            return self._home(platform, workspace, actor, email)

    def _home(self, platform: str, workspace: str, actor: str, email: str | None) -> Card:
        if not platforms.is_registered(platform):
            return unknown_platform(platform)
        try:
            with transaction(self.sessions) as session:
                now = self.clock.now()
                org, person, locale = resolve_actor(session, platform, workspace, actor, email, now)
                speak_to(session, org, person, platform, actor, locale, None)
                if person is None:
                    raise Refusal("unknown_person", organization=org.name)
                ctx = Ctx(session, org, person, platform, None, now, self.dashboard_url, self.signin_key,
                          self.directories.get(platform))
                return setup.setup_card(ctx) if setup.setup_pending(ctx) else home_card(ctx)
        except Refusal as refusal:
            return refusal_reply(refusal, platforms.spec(platform).prefix, False).card  # type: ignore[return-value]
        except Exception:
            log.exception("failed to build the home card of %s", actor)
            return Card(None, (Text(render_error("internal")),), fallback="Something went wrong")

    def welcome(self, platform: str, workspace: str, account_id: str) -> Card | None:
        """After an install (or a workspace's first contact): the set-up card for its installer, who becomes the
        first person of an empty organization; None when there is nothing to set up or it is someone else's."""
        directory = self.directories.get(platform)
        if directory is None or not platforms.is_registered(platform):
            return None
        try:
            if not self._may_welcome(platform, workspace, account_id):
                return None
            profile = directory.profile(workspace, account_id)
            if profile is None:
                return None
            with transaction(self.sessions) as session:
                now = self.clock.now()
                org, person, _locale = resolve_actor(session, platform, workspace, account_id, profile.email, now)
                if person is None:
                    person = setup.adopt_installer(session, org, platform, profile)
                    if person is None:
                        return None
                ctx = Ctx(session, org, person, platform, None, now, self.dashboard_url, self.signin_key, directory)
                return setup.setup_card(ctx) if setup.setup_pending(ctx) else None
        except DirectoryError as exc:
            log.warning("no welcome for %s in %s: %s", account_id, workspace, exc)
        except Exception:
            log.exception("failed to welcome %s in %s", account_id, workspace)
        return None

    def _may_welcome(self, platform: str, workspace: str, account_id: str) -> bool:
        """Cheaply, before asking the platform: a new workspace, an organization nobody set up yet, or its
        installer (an account already linked to someone else gets no welcome)."""
        with self.sessions() as session:
            org = workspaces.organization_of(session, platform, workspace) or claimable(session, platform)
            if org is None:
                return True  # a new workspace gets an organization of its own, empty
            if org.installer_id is not None:
                return self.knows_account(platform, workspace, account_id)[0] and session.scalar(
                    select(PlatformAccount.person_id).where(
                        PlatformAccount.org_id == org.id, PlatformAccount.platform == platform,
                        PlatformAccount.account_id == account_id)) == org.installer_id
            return session.scalar(select(Person.id).where(Person.org_id == org.id).limit(1)) is None

    def channel_member(self, platform: str, workspace: str, channel: str, account_id: str, joined: bool) -> list[str]:
        """Someone joined or left a channel: teams that follow it follow (bot.services.setup); the teams changed."""
        directory = self.directories.get(platform)
        try:
            profile = directory.profile(workspace, account_id) if directory is not None and joined else None
            if joined and profile is None:
                return []
            with transaction(self.sessions) as session:
                org = workspaces.organization_of(session, platform, workspace)
                if org is None:
                    return []
                return setup.follow_membership(session, org, platform, channel,
                                               profile or Profile(account_id, account_id), joined)
        except Exception:
            log.exception("failed to follow %s %s %s", account_id, "into" if joined else "out of", channel)
            return []

    def _dispatch(self, session: Session, interaction: Interaction, answers: dict[str, object]) -> Reply:
        now = self.clock.now()
        org, person, locale = resolve_actor(session, interaction.platform, interaction.workspace,
                                            interaction.actor, interaction.actor_email, now)
        speak_to(session, org, person, interaction.platform, interaction.actor, locale, interaction.actor_locale)
        if person is None:
            if interaction.kind.startswith("message"):
                return Reply()  # a stranger's thread reply is not a command: ignore it quietly
            raise Refusal("unknown_person", organization=org.name)
        ctx = Ctx(session, org, person, interaction.platform, interaction.conversation, now, self.dashboard_url,
                  self.signin_key, self.directories.get(interaction.platform), answers)
        if interaction.kind == "command":
            command = parse(interaction.text)
            if isinstance(command, UsageError):
                raise Refusal(command.error, command.usage, **command.context)
            return self.handlers.commands[type(command)](ctx, command)
        if interaction.kind == "action":
            handler = self.handlers.actions.get(interaction.name.split(":", 1)[0])
        elif interaction.kind == "submit":
            handler = self.handlers.submits.get(interaction.name)
        else:
            for on_message in self.handlers.messages:
                reply = on_message(ctx, interaction)
                if reply is not None:  # handled (an empty Reply too); None: not this handler's message
                    return reply
            return Reply()
        if handler is None:
            raise Refusal("stale_action")
        return handler(ctx, interaction)


def _kept(keep: Callable[[], bool] | None) -> None:
    if keep is not None and not keep():
        raise inbox.GaveUp


class _Raced(Exception):
    """Rolls back a transaction that lost a race to create a row, to be done once more (Core._handle)."""


class _Refused(Exception):
    """Rolls back a transaction whose form came back with errors."""

    def __init__(self, reply: Reply) -> None:
        super().__init__("form refused")
        self.reply = reply


def unknown_platform(name: str) -> Card:
    """An Interaction from a platform no adapter registered: logged (a wiring bug), and refused in words."""
    log.error("an interaction from the unregistered platform %r was refused (registered: %s)",
              name, ", ".join(platforms.names()))
    message = render_error("unknown_platform")
    return Card(None, (Text(message),), fallback=message)


def duplicate_reply() -> Reply:
    message = render_error("already_done")
    return Reply(card=Card(None, (Text(message),), fallback=message), duplicate=True)


def refusal_reply(refusal: Refusal, prefix: str, in_form: bool) -> Reply:
    """A refused form goes back with the error by its field; anything else becomes a card.

    The command prefix is the platform's, supplied here for every message: a refusal's own details
    may carry one too (it is the same word), and must not make the reply itself fail.
    """
    message = render_error(refusal.error, **{**refusal.details, "prefix": prefix})
    if in_form and refusal.field:
        return Reply(errors={refusal.field: message})
    elements: list = [Text(message)]
    if refusal.usage:
        elements.append(Context(render_error("usage", prefix=prefix, usage=USAGE[refusal.usage])))
    return Reply(card=Card(None, tuple(elements), fallback=message))
