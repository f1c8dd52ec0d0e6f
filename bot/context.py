"""Who is asking, in which organization and team: resolved once per interaction.

Every lookup here is scoped by the organization the interaction came from, so a workspace can
never reach another's rows, whatever ids or keys someone types.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Integer, ScalarSelect, String, and_, bindparam, case, func, literal, select, update
from sqlalchemy.orm import Session

from bot import i18n, platforms, workspaces
from bot.directory import Ask, Directory, DirectoryError, Question
from bot.errors import Refusal
from bot.teams import own_teams, team_by_key, team_keys
from bot.weeks import local_week
from storage.models import ChannelBinding, Cycle, Organization, Person, PlatformAccount, Team, TeamMember, Workspace

MAX_ROW_ID = 2**31 - 1  # the id columns are 32-bit integers on PostgreSQL


def row_id(raw: str) -> int | None:
    """A row id from a button, a form or a URL; None for anything else. str.isdigit also accepts "²" and "١",
    and a number past the column's range makes the database raise: both are a stale button, not a bug."""
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10):
        return None
    number = int(raw)
    return number if 0 < number <= MAX_ROW_ID else None



def resolve_organization(session: Session, platform: str, workspace: str, now: datetime) -> Organization:
    """The organization a workspace is.

    A workspace seen for the first time claims the one organization that no workspace of its
    platform has claimed yet (the single-workspace install: import, then install the app);
    otherwise it gets an organization of its own, empty, so it can never see anyone else's data.
    """
    if platforms.spec(platform).workspace_is_organization:
        org_id = row_id(workspace)
        org = session.get(Organization, org_id) if org_id else None
        if org is None:
            raise Refusal("unknown_organization")
        return org
    org = workspaces.organization_of(session, platform, workspace)
    return org if org is not None else _claim(session, platform, workspace, now)


def claimable(session: Session, platform: str) -> Organization | None:
    """The organization a new workspace of `platform` would claim: the only one, if none of the platform has."""
    only = session.scalars(select(Organization).limit(2)).all()
    if len(only) == 1 and not workspaces.has_workspace(session, only[0].id, platform):
        return only[0]
    return None


def _claim(session: Session, platform: str, workspace: str, now: datetime) -> Organization:
    """A workspace's first request: the only organization if no workspace of its platform has claimed it,
    else a new empty one."""
    org = claimable(session, platform)
    if org is None:
        org = Organization(name=f"{platform} workspace {workspace}", created_at=now)
        session.add(org)
        session.flush()
    workspaces.link(session, org, platform, workspace)
    return org


def _actor_statement(by_organization_id: bool):
    """Organization and linked person of a workspace and account (the person is None when not linked)."""
    platform = bindparam("platform", type_=String)
    statement = select(Organization, Person, PlatformAccount.locale)
    if by_organization_id:
        statement = statement.where(Organization.id == bindparam("workspace", type_=Integer))
    else:
        statement = statement.join(Workspace, and_(Workspace.org_id == Organization.id, Workspace.platform == platform,
                                                   Workspace.workspace_id == bindparam("workspace", type_=String)))
    return (
        statement
        .outerjoin(PlatformAccount, and_(PlatformAccount.org_id == Organization.id,
                                         PlatformAccount.platform == platform,
                                         PlatformAccount.account_id == bindparam("account_id", type_=String)))
        .outerjoin(Person, Person.id == PlatformAccount.person_id)
        .limit(1)
    )


# Built once: every request runs one of these, and building a statement costs more than running it.
_ACTOR = {by_organization_id: _actor_statement(by_organization_id) for by_organization_id in (False, True)}


def resolve_actor(
    session: Session, platform: str, workspace: str, account_id: str, email: str | None, now: datetime
) -> tuple[Organization, Person | None, str | None]:
    """The organization and the person of one request, and the locale the platform last reported for the
    account (bot.i18n), in one statement when both are known already.

    Every request starts here, so the organization and the linked account come back together (an outer
    join); only a first request of a workspace or of an account takes the slower paths.
    """
    by_org_id = platforms.spec(platform).workspace_is_organization
    key = row_id(workspace) if by_org_id else workspace
    if key is None:
        raise Refusal("unknown_organization")
    row = session.execute(_ACTOR[by_org_id], {"workspace": key, "platform": platform, "account_id": account_id}).first()
    if row is None:
        if by_org_id:
            raise Refusal("unknown_organization")
        org = _claim(session, platform, workspace, now)
        return org, resolve_person(session, org, platform, account_id, email), None
    org, person, locale = row
    if person is None:
        person = _person_by_email(session, org, platform, account_id, email)
    return org, person, locale


def speak_to(session: Session, org: Organization, person: Person | None, platform: str, account_id: str,
             stored: str | None, reported: str | None) -> str:
    """Speak the language `bot.i18n.choose` picks for this person for the rest of the request, and remember
    the locale the platform reported when it changed (a Slack account's is asked for once; Teams sends one
    with every activity). Returns the language."""
    if person is not None and reported is not None and reported != stored:
        session.execute(update(PlatformAccount).where(
            PlatformAccount.org_id == org.id, PlatformAccount.platform == platform,
            PlatformAccount.account_id == account_id).values(locale=reported[:35]))
    i18n.set_speaking(i18n.choose(person.language if person else None, reported or stored, org.language))
    return i18n.current()


def person_language(session: Session, org: Organization, person: Person) -> str:
    """The language of a message okrbot sends a person unasked (a ritual's direct message): their own choice,
    else the locale a platform last reported for them, else the organization's."""
    if person.language:
        return i18n.choose(person.language)
    reported = session.scalars(select(PlatformAccount.locale).where(
        PlatformAccount.org_id == org.id, PlatformAccount.person_id == person.id,
        PlatformAccount.locale.is_not(None), PlatformAccount.locale != "").order_by(PlatformAccount.id)).first()
    return i18n.choose(reported, org.language)


def people_languages(session: Session, org: Organization, person_ids: Iterable[int]) -> dict[int, str]:
    """`person_language` of many people at once, in two queries whatever their number (a ritual that writes to
    every lead of a 10,000-person organization): their own choices, then the reported locales of the rest."""
    ids = list(person_ids)
    chosen: dict[int, str] = {}
    for chunk in (ids[i:i + 5000] for i in range(0, len(ids), 5000)):
        chosen.update({pid: i18n.choose(language) for pid, language in session.execute(
            select(Person.id, Person.language).where(Person.id.in_(chunk), Person.language.is_not(None),
                                                     Person.language != ""))})
    rest = [pid for pid in ids if pid not in chosen]
    reported: dict[int, str] = {}
    for chunk in (rest[i:i + 5000] for i in range(0, len(rest), 5000)):
        for pid, locale in session.execute(select(PlatformAccount.person_id, PlatformAccount.locale).where(
                PlatformAccount.org_id == org.id, PlatformAccount.person_id.in_(chunk),
                PlatformAccount.locale.is_not(None), PlatformAccount.locale != "").order_by(PlatformAccount.id)):
            reported.setdefault(pid, locale)  # the first account's, as person_language reads it
    return {pid: chosen.get(pid) or i18n.choose(reported.get(pid), org.language) for pid in ids}


def team_language(team: Team, org: Organization) -> str:
    """The language of a team's channel posts: the team's own, else the organization's."""
    return i18n.choose(team.language, org.language)


def resolve_person(
    session: Session, org: Organization, platform: str, account_id: str, email: str | None
) -> Person | None:
    """The person behind a platform account: by stored account id, else by email (then remembered)."""
    person = session.scalar(
        select(Person)
        .join(PlatformAccount, PlatformAccount.person_id == Person.id)
        .where(
            PlatformAccount.org_id == org.id,
            PlatformAccount.platform == platform,
            PlatformAccount.account_id == account_id,
        )
    )
    if person is not None:
        return person
    return _person_by_email(session, org, platform, account_id, email)


def _person_by_email(
    session: Session, org: Organization, platform: str, account_id: str, email: str | None
) -> Person | None:
    """An account seen for the first time is linked to the person with its email, if any."""
    if not email:
        return None
    person = session.scalar(
        select(Person).where(Person.org_id == org.id, func.lower(Person.email) == email.strip().lower())
    )
    if person is not None:
        session.add(PlatformAccount(org_id=org.id, person_id=person.id, platform=platform, account_id=account_id))
        session.flush()
    return person


def _current_cycle_id() -> ScalarSelect:
    today = bindparam("today", type_=Date)
    return (
        select(Cycle.id)
        .where(Cycle.org_id == bindparam("org_id", type_=Integer))
        .order_by(case((and_(Cycle.start <= today, Cycle.end >= today), 0), else_=1), (Cycle.start > today).asc(),
                  Cycle.start.desc())
        .limit(1)
        .scalar_subquery()
    )


# The current cycle's id as a scalar subquery, so a query of the cycle's rows needs no round trip for it:
# the cycle running today in the organization's zone, else the most recent one that started, else the one
# that starts last. Its parameters are `cycle_params`; built once, as it is part of every check-in.
CURRENT_CYCLE_ID = _current_cycle_id()
_CURRENT_CYCLE = select(Cycle).where(Cycle.id == CURRENT_CYCLE_ID)


def cycle_params(org: Organization, now: datetime) -> dict:
    """The parameters of CURRENT_CYCLE_ID: the organization and its date today."""
    return {"org_id": org.id, "today": now.astimezone(ZoneInfo(org.timezone)).date()}


def current_cycle(session: Session, org: Organization, now: datetime) -> Cycle | None:
    """The cycle running today in the organization's zone, else the most recent one that started."""
    return session.scalar(_CURRENT_CYCLE, cycle_params(org, now))


MAX_DEPTH = 32  # a team tree deeper than this is bad data (or a cycle); the walk up stops there


def _ancestry_statement():
    # On the table's columns, not the model's: rows, not entities, so it skips the ORM's execution path (0.38 ->
    # 0.25 ms of CPU on SQLite, 1.0 -> 0.7 on PostgreSQL; every check-in reply and four-square asks it).
    teams = Team.__table__.c
    columns = (teams.id, teams.parent_id, teams.key, teams.name, teams.level, teams.timezone)
    chain = select(*columns, literal(0).label("depth")).where(teams.id == bindparam("team_id")).cte(
        "chain", recursive=True)
    chain = chain.union_all(
        select(*columns, (chain.c.depth + 1).label("depth"))
        .where(teams.id == chain.c.parent_id, chain.c.depth < MAX_DEPTH)
    )
    return select(chain).order_by(chain.c.depth)


_ANCESTRY = _ancestry_statement()  # built once: every four-square and every week of a team without a zone


def ancestry(session: Session, team_id: int) -> list:
    """The team and its ancestors as (id, parent_id, key, name, level, timezone, depth) rows, the root first.

    One recursive query whatever the depth (instead of one lookup per ancestor); a cycle in bad data
    ends at the first team seen twice.
    """
    rows, seen = [], set()
    for row in session.execute(_ANCESTRY, {"team_id": team_id}):
        if row.id in seen:
            break
        seen.add(row.id)
        rows.append(row)
    return rows[::-1]


def zone_of(chain: list, org: Organization) -> str:
    """A team's zone from its ancestry (root first): its own, else its nearest ancestor's, else the organization's."""
    return next((row.timezone for row in reversed(chain) if row.timezone), org.timezone)


def team_timezone(session: Session, team: Team, org: Organization) -> str:
    """A team's zone (the rule is `zone_of`), for one team: its ancestry in one recursive query."""
    if team.timezone:
        return team.timezone
    if team.parent_id is None:
        return org.timezone
    return zone_of(ancestry(session, team.id), org)


def team_zones(session: Session, org_ids: set[int]) -> dict[int, str]:
    """Every team's zone in the organizations (the rule is `zone_of`), for the sweep: one query for all
    the teams, each ancestry walked in memory the way `ancestry` walks it in SQL (MAX_DEPTH levels up,
    stopping at the first team seen twice). tests/core/test_team_rules proves both paths agree."""
    orgs = {o.id: o for o in session.scalars(select(Organization).where(Organization.id.in_(org_ids)))}
    teams = {t.id: t for t in session.scalars(select(Team).where(Team.org_id.in_(org_ids)))}
    zones = {}
    for team in teams.values():
        chain, seen, node = [], set(), team
        while node is not None and node.id not in seen and len(chain) <= MAX_DEPTH:
            chain.append(node)
            seen.add(node.id)
            node = teams.get(node.parent_id) if node.parent_id else None
        zones[team.id] = zone_of(chain[::-1], orgs[team.org_id])
    return zones


@dataclass
class Ctx:
    """Everything a handler needs about one interaction."""

    session: Session
    org: Organization
    person: Person
    platform: str
    conversation: str | None
    now: datetime
    dashboard_url: str | None = None
    signin_key: str | None = None
    directory: Directory | None = None  # the platform's people and channels (set-up in chat), if it has one
    answers: dict[str, object] = field(default_factory=dict, repr=False)  # the platform's, asked before (ask)
    _team: Team | None = field(default=None, repr=False)
    _weeks: dict[int, str] = field(default_factory=dict, repr=False)

    @property
    def prefix(self) -> str:
        return platforms.spec(self.platform).prefix

    def ask(self, key: str, question: Question):
        """The platform's answer to `question` (`key` names it for this interaction): asked with no transaction
        open, so the first time this raises bot.directory.Ask and the core runs the handler again with it.
        Raises the DirectoryError the platform failed with."""
        if key not in self.answers:
            raise Ask(key, question)
        answer = self.answers[key]
        if isinstance(answer, DirectoryError):
            raise answer
        return answer

    def channel_team(self) -> Team | None:
        if not self.conversation:
            return None
        bound = self.session.scalar(
            select(Team)
            .join(ChannelBinding, ChannelBinding.team_id == Team.id)
            .where(
                ChannelBinding.org_id == self.org.id,
                ChannelBinding.platform == self.platform,
                ChannelBinding.channel_id == self.conversation,
            )
        )
        if bound is None and platforms.spec(self.platform).team_channels_by_key:
            # Every team has a channel here named by its key (the sandbox's; the rituals post there).
            return team_by_key(self.session, self.org.id, self.conversation)
        return bound

    def my_teams(self) -> list[Team]:
        """Teams the person belongs to, the lowest level first (a team before its department)."""
        return own_teams(self.session, self.org.id, self.person.id)

    def choose_team(self, team: Team) -> None:
        """A button or form names its team: that one, not the channel's, is what the action is about."""
        self._team = team

    def team(self) -> Team:
        """The team a team-scoped command is about: the channel's team, else the person's own."""
        if self._team is None:
            team = self.channel_team()
            if team is None:
                mine = self.my_teams()
                team = mine[0] if mine else None
            if team is None:
                raise Refusal("no_team")
            self._team = team
        return self._team

    def find_team(self, key: str) -> Team:
        team = team_by_key(self.session, self.org.id, key)
        if team is None:
            raise Refusal("unknown_team", given=key, keys=", ".join(team_keys(self.session, self.org.id, 20)))
        return team

    def is_lead(self, team: Team) -> bool:
        return (
            self.session.scalar(
                select(TeamMember.role).where(TeamMember.team_id == team.id, TeamMember.person_id == self.person.id)
            )
            == "lead"
        )

    def require_lead(self, team: Team, usage: str) -> None:
        """Refuse, naming the team's leads, unless the person leads `team`."""
        if not self.is_lead(team):
            leads = names(self.leads_of(team))
            raise Refusal("leads_only", usage, team=team.name, leads=leads)

    def week(self, team: Team | None = None) -> str:
        """The ISO week in the team's zone; asked several times an action, so looked up once."""
        if team is None:
            return local_week(self.now, self.org.timezone)
        if team.id not in self._weeks:
            self._weeks[team.id] = local_week(self.now, team_timezone(self.session, team, self.org))
        return self._weeks[team.id]

    def leads_of(self, team: Team) -> list[Person]:
        return team_leads(self.session, team)


def names(people: Iterable[Person]) -> str:
    """People's names as a refusal lists them ("Ada, Ben"), or "nobody yet" in the language being spoken."""
    return ", ".join(dict.fromkeys(p.name for p in people)) or i18n.gettext("nobody yet")


def team_leads(session: Session, team: Team) -> list[Person]:
    """The leads of a team by name: who may bind its channel, change its schedule or force its rituals."""
    return list(session.scalars(
        select(Person).join(TeamMember, TeamMember.person_id == Person.id)
        .where(TeamMember.team_id == team.id, TeamMember.role == "lead").order_by(Person.name)))
