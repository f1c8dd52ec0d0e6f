"""Relational schema of okrbot.

Every table except `organizations` carries `org_id`, so every query can (and must) be scoped by
organization: a Slack workspace or a Teams tenant never sees another's rows. History tables
(`checkins`, `health_updates`) are append-only; the current value on `key_results` is a cache of
the latest check-in, kept in the same transaction.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import UtcDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _org_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)


class Organization(Base):
    __tablename__ = "organizations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    multiple_business_lines: Mapped[bool] = mapped_column(Boolean, default=False)
    red_max: Mapped[int] = mapped_column(Integer, default=3)
    green_min: Mapped[int] = mapped_column(Integer, default=8)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # "We (value) in (field) (improving lives)": what every OKR relates to (`/okr mission`, bot.services.mission).
    mission: Mapped[str | None] = mapped_column(String(500))
    # The person who installed okrbot in chat and may walk the set-up (bot.services.setup); a plain id, not a
    # foreign key, as people refer to organizations already.
    installer_id: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str | None] = mapped_column(String(35))  # the default language (bot.i18n); None: English


class Workspace(Base):
    """A chat workspace (a Slack team, a Teams tenant, any registered platform's) and the organization it is.

    A workspace belongs to one organization, and an organization has at most one workspace per platform
    (bot.workspaces). Platforms whose workspace is the organization itself (the sandbox) have no rows here.
    """

    __tablename__ = "workspaces"
    __table_args__ = (UniqueConstraint("platform", "workspace_id"), UniqueConstraint("org_id", "platform"))
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    workspace_id: Mapped[str] = mapped_column(String(64))


class Person(Base):
    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("org_id", "email"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org_fk()
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    timezone: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(35))  # their own choice (`/okr language`), over any other


class PlatformAccount(Base):
    """A person's user id on one platform (Slack user id, Teams AAD object id, sandbox)."""

    __tablename__ = "platform_accounts"
    __table_args__ = (UniqueConstraint("org_id", "platform", "account_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org_fk()
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    account_id: Mapped[str] = mapped_column(String(128))
    # The locale the platform last reported for the account; "" when asked and none came (bot.i18n).
    locale: Mapped[str | None] = mapped_column(String(35))


class Team(Base):
    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("org_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org_fk()
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))  # company | department | team
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    timezone: Mapped[str | None] = mapped_column(String(64))
    # Membership follows the bound channels: who joins or leaves one joins or leaves the team (leads stay).
    follows_channel: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    language: Mapped[str | None] = mapped_column(String(35))  # its channel posts' language; None: the organization's


class TeamMember(Base):
    __tablename__ = "team_members"
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    org_id: Mapped[int] = _org_fk()
    role: Mapped[str] = mapped_column(String(8))  # lead | member


class ChannelBinding(Base):
    """A chat channel where a team's rituals are posted."""

    __tablename__ = "channel_bindings"
    __table_args__ = (UniqueConstraint("org_id", "platform", "channel_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org_fk()
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    channel_id: Mapped[str] = mapped_column(String(256))


class RitualSetting(Base):
    """When a team's ritual happens, in the team's own time zone."""

    __tablename__ = "ritual_settings"
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    ritual: Mapped[str] = mapped_column(String(16), primary_key=True)
    org_id: Mapped[int] = _org_fk()
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday, ISO order
    time: Mapped[str] = mapped_column(String(5))  # HH:MM local
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class SkippedWeek(Base):
    __tablename__ = "skipped_weeks"
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)
    week: Mapped[str] = mapped_column(String(8), primary_key=True)  # ISO week, 2026-W52
    org_id: Mapped[int] = _org_fk()


class Cycle(Base):
    """An OKR cycle (usually a quarter). Its phase (planning, active, closing, closed) follows from its dates
    and `closed_at` (bot.cycles): nothing has to move it along, so no clock can forget to."""

    __tablename__ = "cycles"
    __table_args__ = (UniqueConstraint("org_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org_fk()
    name: Mapped[str] = mapped_column(String(64))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)  # the last day of the cycle, inclusive
    planning_from: Mapped[date | None] = mapped_column(Date)  # None: bot.cycles.DEFAULT_PLANNING before start
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # closing ends when set


class Objective(Base):
    __tablename__ = "objectives"
    __table_args__ = (UniqueConstraint("org_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org_fk()
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    level: Mapped[str] = mapped_column(String(16))  # company | department | team | individual
    type: Mapped[str] = mapped_column(String(16), default="business")  # business | capability
    source: Mapped[str | None] = mapped_column(String(24))  # aligned | self-driven | external-support
    owner_team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    owner_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    aligns_to_objective_id: Mapped[int | None] = mapped_column(
        ForeignKey("objectives.id", ondelete="SET NULL")
    )
    aligns_to_kr_id: Mapped[int | None] = mapped_column(
        ForeignKey("key_results.id", ondelete="SET NULL", use_alter=True)
    )
    status: Mapped[str] = mapped_column(String(8), default="active")  # draft | active | closed
    score: Mapped[float | None] = mapped_column(Float)  # 0.0-1.0: the mean of its key results' unless overridden
    score_overridden: Mapped[bool] = mapped_column(Boolean, default=False)  # its lead set the score themselves
    position: Mapped[int] = mapped_column(Integer, default=0)
    why: Mapped[str | None] = mapped_column(Text)  # why it was set so: the kickoff says it (the method's step 7)


class KeyResult(Base):
    __tablename__ = "key_results"
    __table_args__ = (UniqueConstraint("org_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org_fk()
    objective_id: Mapped[int] = mapped_column(ForeignKey("objectives.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))  # the short code people type
    title: Mapped[str] = mapped_column(String(300))
    owner_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    start_value: Mapped[float | None] = mapped_column(Float)
    target_value: Mapped[float | None] = mapped_column(Float)
    current_value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(32))
    milestone: Mapped[str | None] = mapped_column(String(300))  # a KR measured by a milestone, not a number
    confidence: Mapped[int] = mapped_column(Integer, default=5)
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The source of the check-in that set current_value (api, connector, slack...): shown beside the value.
    value_source: Mapped[str | None] = mapped_column(String(16))
    # The closing score its owner gave (0.0-1.0), their note, and their answer to "did it move the business?".
    score: Mapped[float | None] = mapped_column(Float)
    score_note: Mapped[str | None] = mapped_column(Text)
    moved_business: Mapped[bool | None] = mapped_column(Boolean)
    scored_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Taken out of a running cycle by an honest change (bot.changes): kept with its reason, never deleted.
    removed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    removed_reason: Mapped[str | None] = mapped_column(Text)
    # The unfinished key result of an earlier cycle this one carries on (`/okr carry`).
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("key_results.id", ondelete="SET NULL"))

    @hybrid_property
    def live(self) -> bool:
        """In force: not removed by an honest change. The one definition every list, ritual, check-in and API
        reading uses (`KeyResult.live` in a query, `kr.live` on a row); a removed one stays only on its own page,
        in the history and in the export."""
        return self.removed_at is None

    @live.inplace.expression
    @classmethod
    def _live_expression(cls):
        return cls.removed_at.is_(None)


class CheckIn(Base):
    """One confidence and/or value change. Appended, never updated."""

    __tablename__ = "checkins"
    __table_args__ = (Index("ix_checkins_kr_at", "key_result_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org_fk()
    key_result_id: Mapped[int] = mapped_column(ForeignKey("key_results.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    confidence: Mapped[int] = mapped_column(Integer)
    value: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))  # slack | teams | sandbox | import | cli | api | connector


class OkrChange(Base):
    """One change to an objective or key result of a cycle, with its reason. Appended, never updated: the method
    says not to change OKRs midway, so a change that has to happen is made in the open (bot.changes).

    `subject` is the code as it was, so the history reads the same after the key result is gone; `batch`
    groups the changes announced in one post (one command, or one import)."""

    __tablename__ = "okr_changes"
    __table_args__ = (Index("ix_okr_changes_kr", "key_result_id"), Index("ix_okr_changes_batch", "org_id", "batch"))
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org_fk()
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    objective_id: Mapped[int | None] = mapped_column(ForeignKey("objectives.id", ondelete="CASCADE"), index=True)
    key_result_id: Mapped[int | None] = mapped_column(ForeignKey("key_results.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(64))  # the code of the key result or objective
    field: Mapped[str] = mapped_column(String(16))  # title | target | start | unit | added
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(16))  # slack | teams | sandbox | import
    batch: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class Lesson(Base):
    """A reply in a team's retrospective thread (what we learned; keep, stop, start), kept with its cycle."""

    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("org_id", "platform", "message_id"), Index("ix_lessons_cycle", "cycle_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org_fk()
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))  # learned | keep | stop | start
    text: Mapped[str] = mapped_column(String(2000))
    author_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    platform: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str | None] = mapped_column(String(256))  # a redelivered reply is stored once
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class Priority(Base):
    __tablename__ = "priorities"
    __table_args__ = (Index("ix_priorities_team_week", "team_id", "week"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org_fk()
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(String(8))
    level: Mapped[str] = mapped_column(String(2))  # P1 | P2
    text: Mapped[str] = mapped_column(String(500))
    owner_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(8), default="open")  # open | done | dropped
    reason: Mapped[str | None] = mapped_column(String(500))
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("priorities.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The key result it moves forward; None: it serves none (said so, or not said), counted as such.
    key_result_id: Mapped[int | None] = mapped_column(ForeignKey("key_results.id", ondelete="SET NULL"), index=True)
    # Why an open P1 was not done, as its owner answered the Friday wrap-up's question (report part 2).
    why: Mapped[str | None] = mapped_column(String(500))


class Plan(Base):
    """An item for the four-square's "next four weeks" quadrant."""

    __tablename__ = "plans"
    __table_args__ = (Index("ix_plans_team_week", "team_id", "week"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org_fk()
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(String(500))
    author_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    key_result_id: Mapped[int | None] = mapped_column(ForeignKey("key_results.id", ondelete="SET NULL"))
    # Who it needs preparation or support from (`/okr plan TEXT needs @person|TEAM`): told by the clock.
    needs_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    needs_team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))


class HealthMetric(Base):
    __tablename__ = "health_metrics"
    __table_args__ = (UniqueConstraint("team_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org_fk()
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)


class HealthUpdate(Base):
    """A health metric's colour at one moment; the latest one in a week is that week's status."""

    __tablename__ = "health_updates"
    __table_args__ = (Index("ix_health_updates_metric_at", "metric_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org_fk()
    metric_id: Mapped[int] = mapped_column(ForeignKey("health_metrics.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(8))  # green | yellow | red
    note: Mapped[str | None] = mapped_column(String(500))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class Win(Base):
    __tablename__ = "wins"
    __table_args__ = (
        UniqueConstraint("org_id", "platform", "message_id"),
        Index("ix_wins_team_week", "team_id", "week"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org_fk()
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(String(8))
    author_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(String(2000))
    platform: Mapped[str] = mapped_column(String(16))
    # The platform's id of the message that carried the win; a redelivered message is stored once.
    message_id: Mapped[str | None] = mapped_column(String(256))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class WeekNote(Base):
    """What people type for the week's report: a risk (part 4), a help request to a person or a team (part 4,
    with the answer), a remark (part 5). Kept verbatim, beside the lines the report derives."""

    __tablename__ = "week_notes"
    __table_args__ = (Index("ix_week_notes_team_week", "team_id", "week"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org_fk()
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(8))  # risk | help | remark
    text: Mapped[str] = mapped_column(String(500))
    author_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # A help request's addressee: a person, or a team (its leads are asked).
    to_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    to_team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    answer: Mapped[str | None] = mapped_column(String(8))  # yes | no; None: not answered yet
    answered_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class AwayPeriod(Base):
    """A person away (a holiday, a leave) from `start` to `end`, both included, dates in their team's zone
    (`/okr away`): no nudges and no missing-check-in flags for them then, "away" beside their name on posts,
    and their `delegate` may check in on their key results meanwhile (bot.services.away)."""

    __tablename__ = "away_periods"
    __table_args__ = (Index("ix_away_periods_person_end", "person_id", "end"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org_fk()
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    delegate_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Subscription(Base):
    """A channel that gets a team's rolled-up weekly report (`/okr subscribe TEAM`), by the `digest` ritual."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("team_id", "platform", "channel_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org_fk()
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    channel_id: Mapped[str] = mapped_column(String(128))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))  # who subscribed it
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class EarlyWarning(Base):
    """A key result that dropped by 2 or more or into red, or a health metric that turned red: told to the team's
    leads at once ("immediately discuss and find a response plan"), once per subject and week, with the plan they
    answer (shown on the next Monday post)."""

    __tablename__ = "early_warnings"
    __table_args__ = (UniqueConstraint("kind", "subject_id", "week"),
                      Index("ix_early_warnings_team_week", "team_id", "week"))
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org_fk()
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(8))  # kr | health
    subject_id: Mapped[int] = mapped_column(Integer)  # key_results.id or health_metrics.id
    before: Mapped[str | None] = mapped_column(String(8))  # the confidence or colour before
    after: Mapped[str] = mapped_column(String(8))
    note: Mapped[str | None] = mapped_column(String(500))  # the owner's note with the change
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    plan: Mapped[str | None] = mapped_column(String(500))  # the lead's response plan
    plan_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))


class RitualRun(Base):
    """One ritual for one team and period; the unique key is what makes posting exactly-once."""

    __tablename__ = "ritual_runs"
    __table_args__ = (
        UniqueConstraint("team_id", "ritual", "period"),
        Index("ix_ritual_runs_state", "state"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org_fk()
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    ritual: Mapped[str] = mapped_column(String(16))  # monday | friday | wrapup | report | nudge
    period: Mapped[str] = mapped_column(String(16))  # ISO week, 2026-W47
    state: Mapped[str] = mapped_column(String(12))  # claimed | posted | failed | skipped
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    posted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str | None] = mapped_column(String(500))
    lead_notified: Mapped[bool] = mapped_column(Boolean, default=False)
    platform: Mapped[str | None] = mapped_column(String(16))
    channel_id: Mapped[str | None] = mapped_column(String(256))
    message_ref: Mapped[str | None] = mapped_column(String(512))  # Slack ts, Teams activity id
    thread_ref: Mapped[str | None] = mapped_column(String(512))  # Teams reply chain id
    # Message key ("channel", "dm:<person id>") -> its reference once sent, or "sending" while in flight.
    delivered: Mapped[dict | None] = mapped_column(JSON)
    # Set with a change the post shows (a priority done, a win), cleared once it was redrawn in place.
    stale_since: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)


class EarlierRitualPost(Base):
    """A run's main post that a forced re-post replaced: its thread still belongs to the run, so a reply
    there (a win under an earlier Friday post) is matched as if the post were current."""

    __tablename__ = "earlier_ritual_posts"
    __table_args__ = (Index("ix_earlier_ritual_posts_ref", "org_id", "platform", "message_ref"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org_fk()
    run_id: Mapped[int] = mapped_column(ForeignKey("ritual_runs.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    message_ref: Mapped[str] = mapped_column(String(512))


class SpentToken(Base):
    """A sign-in link already used, or a session signed out: refused from now until it would have expired.

    Keyed by the SHA-256 of the token (the token itself is a credential and is never stored); the
    primary key makes spending atomic on both databases: of two simultaneous uses, one inserts."""

    __tablename__ = "spent_tokens"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[int] = _org_fk()
    purpose: Mapped[str] = mapped_column(String(8))  # link | session
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class ConversationRef(Base):
    """A serialised way back to a channel or a person (Teams ConversationReference, sandbox...)."""

    __tablename__ = "conversation_refs"
    __table_args__ = (UniqueConstraint("org_id", "platform", "kind", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org_fk()
    platform: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(8))  # channel | person
    key: Mapped[str] = mapped_column(String(256))
    reference: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SandboxMessage(Base):
    """A message in the local sandbox's pretend chat, so the sandbox survives restarts like a platform."""

    __tablename__ = "sandbox_messages"
    __table_args__ = (Index("ix_sandbox_messages_channel", "org_id", "channel_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org_fk()
    channel_id: Mapped[str] = mapped_column(String(256))  # a team channel, or "dm:<person id>"
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("sandbox_messages.id", ondelete="CASCADE"))
    author_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    visible_to_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text, default="")
    card: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class InboxEntry(Base):
    """Something a person sent (a form submission, a slash command), by the key its platform gives each
    sending; the unique key is what makes handling it exactly-once (bot.inbox).

    No org_id: a key is claimed before the organization is resolved, and keys are platform-namespaced
    ids that are unique across workspaces. `payload` is set only for work acknowledged before it was
    done (a slow slash command): what any process needs to finish it after a crash.
    """

    __tablename__ = "inbox"
    __table_args__ = (Index("ix_inbox_done_at", "done_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    payload: Mapped[dict | None] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class SendBudget(Base):
    """How fast okrbot may post to one Slack workspace or Teams tenant, shared by every process.

    A platform's limit, not an organization's data, so no org_id. Times are seconds since the epoch
    (every clock process compares them with its own wall clock). bot.rituals.budget explains the rest.
    """

    __tablename__ = "send_budgets"
    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    workspace: Mapped[str] = mapped_column(String(64), primary_key=True)  # Slack team id, Teams tenant id
    sent: Mapped[list | None] = mapped_column(JSON)  # start times of the latest sends, oldest first
    paused_until: Mapped[float | None] = mapped_column(Float)  # a 429's Retry-After: nobody sends before
    rate: Mapped[float | None] = mapped_column(Float)  # lowered by a 429; None: the configured rate
    lowered_at: Mapped[float | None] = mapped_column(Float)  # when; it climbs back from there


class SlackIdentity(Base):
    """Who okrbot's bot is, for one Slack bot token: what auth.test answered, kept so that no process asks
    again (adapters/slack/identity.py). Keyed by the token's SHA-256; the token itself is never stored here."""

    __tablename__ = "slack_identities"
    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    team_id: Mapped[str | None] = mapped_column(String(32))
    enterprise_id: Mapped[str | None] = mapped_column(String(32))
    bot_id: Mapped[str | None] = mapped_column(String(32))
    bot_user_id: Mapped[str | None] = mapped_column(String(32))


class ApiToken(Base):
    """A bearer token for /api/v1, of one organization. Only the SHA-256 of the secret is stored (the secret
    is shown once, when created); `hint` is its first characters, so a list can tell tokens apart."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org_fk()
    name: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(8))  # read | write
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ApiRequest(Base):
    """The answer given to one (token, Idempotency-Key): a retry gets it again instead of a second check-in.
    Written in the transaction of the change it answers, so either both are stored or neither."""

    __tablename__ = "api_requests"
    __table_args__ = (UniqueConstraint("token_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of method, path and body
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class Connector(Base):
    """Where a key result's value is pulled from (bot.connectors): kind sql, http or csv; `spec` names
    environment variables for secrets, never the secrets themselves."""

    __tablename__ = "connectors"
    key_result_id: Mapped[int] = mapped_column(ForeignKey("key_results.id", ondelete="CASCADE"), primary_key=True)
    org_id: Mapped[int] = _org_fk()
    kind: Mapped[str] = mapped_column(String(8))
    spec: Mapped[dict] = mapped_column(JSON)
    schedule: Mapped[str] = mapped_column(String(16))  # "06:00" daily or "MON 06:00" weekly, the team's zone
    failures: Mapped[int] = mapped_column(Integer, default=0)  # failed runs in a row
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_value: Mapped[float | None] = mapped_column(Float)
    last_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    owner_told: Mapped[bool] = mapped_column(Boolean, default=False)  # about the current run of failures


class ConnectorRun(Base):
    """One refresh of one key result's connector in one period (a local day, or an ISO week): the unique
    key makes it exactly once, however many clocks sweep."""

    __tablename__ = "connector_runs"
    __table_args__ = (UniqueConstraint("key_result_id", "period"), Index("ix_connector_runs_state", "state"))
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org_fk()
    key_result_id: Mapped[int] = mapped_column(ForeignKey("key_results.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(8))  # claimed | done | failed
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reason: Mapped[str | None] = mapped_column(String(500))


class Proposal(Base):
    """An objective someone thinks the company should pursue in a cycle being planned (the method's step 1:
    "all employees submit goals"). Never deleted: a duplicate is merged into another (`merged_into_id`), so a
    proposal's number (its place in the cycle's order) never shifts (bot.services.proposals)."""

    __tablename__ = "proposals"
    __table_args__ = (Index("ix_proposals_cycle", "cycle_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org_fk()
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(500))
    author_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    shortlisted: Mapped[bool] = mapped_column(Boolean, default=False)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Vote(Base):
    """One of a person's votes in a cycle's planning. `slot` (1..the budget) is unique per person and cycle, so
    two votes sent at once can never take more than the budget; (proposal, person) is unique: one vote each."""

    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("cycle_id", "person_id", "slot"), UniqueConstraint("proposal_id", "person_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org_fk()
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    slot: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class OkrSet(Base):
    """A team's set of objectives for a cycle being planned, on its way to approval (bot.services.drafts):
    drafting -> submitted -> approved, or returned (with a note) and submitted again. `round` counts the
    submissions, so each one's request to the approver is its own run of the catalog's "approval" ritual."""

    __tablename__ = "okr_sets"
    __table_args__ = (UniqueConstraint("cycle_id", "team_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = _org_fk()
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(12), default="drafting")  # drafting | submitted | returned | approved
    round: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str | None] = mapped_column(Text)  # the approver's note when returned
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
