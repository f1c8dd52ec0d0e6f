"""Setting up an organization in chat, from install to the first Monday post, without writing a file.

The installer (the person who added okrbot; `Organization.installer_id`) gets a welcome with four
steps, each a form: the organization (name, zone, company team and its lead), teams from channels
(the channel's name and members, a lead, a parent, a zone, membership following the channel or not),
a first objective with its key results, and the rituals with their local times and a preview of the
team's Monday post. What the platform knows (a channel's members, a person's email and zone) comes
through its `bot.directory.Directory`. Each step is one transaction: a refused form writes nothing.

Who may: the installer, and the company team's leads; a team's lead may add teams from channels
(`team add`, in the channel itself) and set up their own team's objective and rituals.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import commands as c
from bot import platforms
from bot.context import Ctx, current_cycle, row_id, team_timezone
from bot.directory import ChannelInfo, Directory, DirectoryError, Profile
from bot.errors import Refusal
from bot.handlers import action, command, submit
from bot.importer import apply_rituals, parse_ritual_time
from bot.model import Actions, Button, Card, Context, Divider, Form, FormField, Interaction, Option, Reply, Text
from bot.render import render_macro
from bot.rituals import catalog
from bot.rituals.schedule import describe, next_due
from bot.services import drafts
from storage.models import (
    ChannelBinding,
    Cycle,
    Objective,
    Organization,
    Person,
    PlatformAccount,
    RitualSetting,
    SkippedWeek,
    Team,
    TeamMember,
)

LEVELS = ("team", "department", "company")


def words(macro: str, /, **context: object) -> str:
    """One macro of prompts/setup.j2: every word the set-up says."""
    return render_macro("setup", macro, **context)


# ------------------------------------------------------------------ who may


def company_team(session: Session, org_id: int) -> Team | None:
    return session.scalar(select(Team).where(Team.org_id == org_id, Team.level == "company")
                          .order_by(Team.id).limit(1))


def may_set_up(ctx: Ctx) -> bool:
    """The installer, or a lead of the company team."""
    if ctx.org.installer_id == ctx.person.id:
        return True
    company = company_team(ctx.session, ctx.org.id)
    return company is not None and ctx.is_lead(company)


def leads_a_team(ctx: Ctx) -> bool:
    return ctx.session.scalar(select(TeamMember.team_id).where(
        TeamMember.org_id == ctx.org.id, TeamMember.person_id == ctx.person.id, TeamMember.role == "lead")
        .limit(1)) is not None


def _require(ctx: Ctx, allowed: bool) -> None:
    if not allowed:
        installer = ctx.session.get(Person, ctx.org.installer_id) if ctx.org.installer_id else None
        company = company_team(ctx.session, ctx.org.id)
        leads = ", ".join(p.name for p in ctx.leads_of(company)) if company else ""
        raise Refusal("setup_not_allowed", installer=installer.name if installer else "",
                      leads=leads)


def _require_team_step(ctx: Ctx, team: Team) -> None:
    _require(ctx, may_set_up(ctx) or ctx.is_lead(team))


# ------------------------------------------------------------------ the installer


def adopt_installer(session: Session, org: Organization, platform: str, profile: Profile) -> Person | None:
    """The first person of an empty organization becomes its installer (the one who added okrbot); None when
    the organization has people already (an import, an earlier install): nothing changes then."""
    if org.installer_id is not None or session.scalar(select(Person.id).where(Person.org_id == org.id).limit(1)):
        return None
    person = person_from_profile(session, org, platform, profile)
    org.installer_id = person.id
    if profile.timezone and _zone(profile.timezone):
        org.timezone = profile.timezone
    session.flush()
    return person


def setup_pending(ctx: Ctx) -> bool:
    """Whether the set-up card is worth showing this person: they may set up, and a step is still open."""
    return may_set_up(ctx) and not all(_progress(ctx).values())


def _progress(ctx: Ctx) -> dict[str, bool]:
    org_id = ctx.org.id

    def some(column) -> bool:
        return ctx.session.scalar(select(column).where(column.class_.org_id == org_id).limit(1)) is not None

    return {"org_done": company_team(ctx.session, org_id) is not None, "teams_done": some(ChannelBinding.id),
            "objective_done": some(Objective.id)}


def setup_card(ctx: Ctx) -> Card:
    """The welcome: the steps, which are done, a button for each."""
    done = _progress(ctx)
    text = words("welcome", name=ctx.person.name, organization=ctx.org.name, prefix=ctx.prefix, **done)
    buttons = (
        Button(words("step_organization"), "setup_org", style=None if done["org_done"] else "primary"),
        Button(words("step_team"), "setup_team"),
        Button(words("step_objective"), "setup_objective"),
        Button(words("step_rituals"), "setup_rituals"),
    )
    return Card(words("welcome_title"), (Text(text), Actions(buttons)), fallback=words("welcome_title"))


def team_hello(installer: str, prefix: str) -> Card:
    """What a team's channel reads when okrbot is added to it: the set-up itself went to the installer."""
    text = words("team_hello", installer=installer, prefix=prefix)
    return Card(None, (Text(text),), fallback=text)


@action("setup_show")
def show(ctx: Ctx, _interaction: Interaction) -> Reply:
    _require(ctx, may_set_up(ctx))
    return Reply(card=setup_card(ctx))


# ------------------------------------------------------------------ people


def _zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return "/" in name or name == "UTC"


def _zone_field(form: dict, name: str, optional: bool) -> str | None:
    zone = (form.get(name) or "").strip()
    if not zone and optional:
        return None
    if not _zone(zone):
        raise Refusal("bad_timezone", field=name, given=zone[:64])
    return zone


def person_from_profile(session: Session, org: Organization, platform: str, profile: Profile) -> Person:
    """The organization's person with the profile's email (added when new), its account linked."""
    person = None
    if profile.email:
        person = session.scalar(select(Person).where(Person.org_id == org.id,
                                                     func.lower(Person.email) == profile.email.lower()))
    if person is None:
        account = session.scalar(select(PlatformAccount).where(
            PlatformAccount.org_id == org.id, PlatformAccount.platform == platform,
            PlatformAccount.account_id == profile.account_id))
        if account is not None:
            return session.get(Person, account.person_id)
        person = Person(org_id=org.id, email=profile.email or f"{profile.account_id}@{platform}.invalid",
                        name=profile.name[:200] or profile.account_id,
                        timezone=profile.timezone if profile.timezone and _zone(profile.timezone) else None)
        session.add(person)
        session.flush()
    linked = session.scalar(select(PlatformAccount.id).where(
        PlatformAccount.org_id == org.id, PlatformAccount.platform == platform,
        PlatformAccount.account_id == profile.account_id))
    if linked is None:
        session.add(PlatformAccount(org_id=org.id, person_id=person.id, platform=platform,
                                    account_id=profile.account_id))
        session.flush()
    return person


def _directory(ctx: Ctx) -> Directory:
    if ctx.directory is None:
        raise Refusal("setup_no_directory")
    return ctx.directory


def _workspace(ctx: Ctx) -> str:
    from bot.workspaces import workspace_of

    return workspace_of(ctx.session, ctx.org, ctx.platform)


def person_by_email(ctx: Ctx, email: str, field: str) -> Person:
    """Someone named by email: a person of the organization already, else found in the chat workspace."""
    email = email.strip()
    if "@" not in email:
        raise Refusal("bad_email", field=field, given=email[:100])
    person = ctx.session.scalar(select(Person).where(Person.org_id == ctx.org.id,
                                                     func.lower(Person.email) == email.lower()))
    if person is not None:
        return person
    _directory(ctx)
    workspace = _workspace(ctx)
    try:
        profile = ctx.ask(f"email:{email.lower()}", lambda directory: directory.find_by_email(workspace, email))
    except DirectoryError:
        raise Refusal("platform_unavailable", field=field) from None
    if profile is None:
        raise Refusal("email_not_found", field=field, given=email[:100])
    return person_from_profile(ctx.session, ctx.org, ctx.platform, profile)


def _set_role(session: Session, team: Team, person: Person, role: str) -> None:
    member = session.get(TeamMember, (team.id, person.id))
    if member is None:
        session.add(TeamMember(team_id=team.id, person_id=person.id, org_id=team.org_id, role=role))
    elif member.role != "lead":
        member.role = role
    session.flush()


def _unique_key(session: Session, org_id: int, name: str, own: Team | None = None) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:48] or "team"
    key, n = base, 1
    while True:
        taken = session.scalar(select(Team).where(Team.org_id == org_id, func.lower(Team.key) == key))
        if taken is None or taken is own:
            return key
        n += 1
        key = f"{base}-{n}"


def _required(form: dict, name: str, limit: int = 200) -> str:
    value = (form.get(name) or "").strip()
    if not value:
        raise Refusal("setup_required", field=name)
    if len(value) > limit:
        raise Refusal("setup_too_long", field=name, limit=limit)
    return value


# ------------------------------------------------------------------ 1. the organization


def org_form(ctx: Ctx) -> Form:
    company = company_team(ctx.session, ctx.org.id)
    lead = ctx.leads_of(company)[0] if company and ctx.leads_of(company) else ctx.person
    placeholder = ctx.org.name.startswith(f"{ctx.platform} workspace")
    return Form("setup_org", words("org_title"), (
        FormField("name", words("org_name"), initial=None if placeholder else ctx.org.name, max_length=200),
        FormField("timezone", words("org_timezone"), initial=ctx.org.timezone, hint=words("timezone_hint")),
        FormField("company", words("org_company"), initial=company.name if company else None, max_length=200,
                  hint=words("org_company_hint")),
        FormField("lead", words("org_lead"), initial=lead.email, hint=words("email_hint")),
    ), submit_label=words("save"), intro=words("org_intro"))


@action("setup_org")
def open_org(ctx: Ctx, _interaction: Interaction) -> Reply:
    _require(ctx, may_set_up(ctx))
    return Reply(form=org_form(ctx))


@submit("setup_org")
def save_org(ctx: Ctx, interaction: Interaction) -> Reply:
    _require(ctx, may_set_up(ctx))
    form = dict(interaction.form)
    name = _required(form, "name")
    zone = _zone_field(form, "timezone", optional=False)
    company_name = (form.get("company") or "").strip()[:200] or name
    lead = person_by_email(ctx, form.get("lead") or "", "lead")
    ctx.org.name, ctx.org.timezone = name, zone
    company = company_team(ctx.session, ctx.org.id)
    if company is None:
        company = Team(org_id=ctx.org.id, key=_unique_key(ctx.session, ctx.org.id, company_name), name=company_name,
                       level="company")
        ctx.session.add(company)
        ctx.session.flush()
    else:
        company.name = company_name
    _set_role(ctx.session, company, lead, "lead")
    text = words("org_saved", organization=name, zone=zone, company=company.name, lead=lead.name)
    return Reply(card=Card(None, (Text(text), Actions((Button(words("step_team"), "setup_team", style="primary"),))),
                           fallback=text))


# ------------------------------------------------------------------ 2. teams from channels


def _team_options(ctx: Ctx) -> tuple[Option, ...]:
    teams = ctx.session.scalars(select(Team).where(Team.org_id == ctx.org.id).order_by(Team.id).limit(99)).all()
    return (Option(words("no_parent"), "none"), *(Option(t.name, str(t.id)) for t in teams))


def team_form(ctx: Ctx, channel: str | None = None) -> Form:
    company = company_team(ctx.session, ctx.org.id)
    channels: tuple[Option, ...] = ()
    if ctx.directory is not None:
        workspace = _workspace(ctx)
        try:
            listed = ctx.ask("channels", lambda directory: directory.channels(workspace)[:100])
            channels = tuple(Option(ch.name, ch.id) for ch in listed)
        except DirectoryError:
            channels = ()
    return Form("setup_team", words("team_title"), (
        FormField("channel", words("team_channel"), kind="channel", options=channels, initial=channel,
                  hint=words("team_channel_hint", prefix=ctx.prefix)),
        FormField("name", words("team_name"), optional=True, max_length=200, hint=words("team_name_hint")),
        FormField("lead", words("team_lead"), initial=ctx.person.email, hint=words("email_hint")),
        FormField("parent", words("team_parent"), kind="select", options=_team_options(ctx),
                  initial=str(company.id) if company else "none"),
        FormField("level", words("team_level"), kind="select",
                  options=tuple(Option(words("level_" + level), level) for level in LEVELS), initial="team"),
        FormField("timezone", words("team_timezone"), optional=True, hint=words("team_timezone_hint")),
        FormField("follow", words("team_follow"), kind="select",
                  options=(Option(words("follow_yes"), "yes"), Option(words("follow_no"), "no")), initial="yes"),
    ), submit_label=words("save"), intro=words("team_intro"))


@action("setup_team")
def open_team(ctx: Ctx, interaction: Interaction) -> Reply:
    _require(ctx, may_set_up(ctx) or leads_a_team(ctx))
    return Reply(form=team_form(ctx, interaction.conversation))


@command(c.TeamAdd)
def team_add(ctx: Ctx, _cmd: c.TeamAdd) -> Reply:
    """`team add` in a channel: the team-from-channel form, that channel chosen."""
    _require(ctx, may_set_up(ctx) or leads_a_team(ctx))
    return Reply(form=team_form(ctx, ctx.conversation))


def _parent(ctx: Ctx, raw: str) -> Team | None:
    if raw in ("", "none"):
        return None
    team_id = row_id(raw)
    parent = ctx.session.get(Team, team_id) if team_id else None
    if parent is None or parent.org_id != ctx.org.id:
        raise Refusal("stale_action")
    return parent


def _would_cycle(session: Session, team: Team, parent: Team | None) -> bool:
    node, seen = parent, set()
    while node is not None and node.id not in seen:
        if node.id == team.id:
            return True
        seen.add(node.id)
        node = session.get(Team, node.parent_id) if node.parent_id else None
    return False


def _channel_and_members(ctx: Ctx, channel_id: str) -> tuple[ChannelInfo | None, list[Profile]]:
    """The channel and its people, asked of the platform before the transaction that writes the team (a big
    channel is hundreds of calls: bot.directory)."""
    workspace = _workspace(ctx)

    def look(directory: Directory) -> tuple[ChannelInfo | None, list[Profile]]:
        channel = directory.channel(workspace, channel_id)
        if channel is None or not channel.bot_is_member:
            return channel, []
        return channel, directory.members(workspace, channel_id)

    try:
        return ctx.ask(f"channel:{channel_id}", look)
    except DirectoryError:
        raise Refusal("platform_unavailable", field="channel") from None


@submit("setup_team")
def save_team(ctx: Ctx, interaction: Interaction) -> Reply:
    _require(ctx, may_set_up(ctx) or leads_a_team(ctx))
    form = dict(interaction.form)
    _directory(ctx)
    channel_id = _required(form, "channel", 256)
    level = form.get("level") if form.get("level") in LEVELS else "team"
    parent = _parent(ctx, form.get("parent") or "none")
    zone = _zone_field(form, "timezone", optional=True)
    channel, members = _channel_and_members(ctx, channel_id)
    if channel is None or not channel.bot_is_member:
        raise Refusal("not_in_channel", field="channel", channel=channel.name if channel else "",
                      prefix=ctx.prefix)
    lead = person_by_email(ctx, form.get("lead") or "", "lead")
    channel_id = channel.id  # as the platform spells it (the sandbox's: a key)
    team = ctx.session.scalar(select(Team).join(ChannelBinding, ChannelBinding.team_id == Team.id).where(
        ChannelBinding.org_id == ctx.org.id, ChannelBinding.platform == ctx.platform,
        ChannelBinding.channel_id == channel_id))
    name = (form.get("name") or "").strip()[:200] or channel.name
    company = company_team(ctx.session, ctx.org.id)
    if level == "company" and company is not None and company is not team:
        raise Refusal("second_company", field="level", company=company.name)
    if team is None:
        # Where every team's channel is named by its key (the sandbox), the key is the channel's.
        keyed = platforms.spec(ctx.platform).team_channels_by_key
        team = Team(org_id=ctx.org.id, key=_unique_key(ctx.session, ctx.org.id, channel_id if keyed else name),
                    name=name, level=level)
        ctx.session.add(team)
        ctx.session.flush()
        ctx.session.add(ChannelBinding(org_id=ctx.org.id, team_id=team.id, platform=ctx.platform,
                                       channel_id=channel_id))
    elif _would_cycle(ctx.session, team, parent):
        raise Refusal("team_cycle", field="parent", team=team.name, parent=parent.name if parent else "")
    else:
        team.name, team.level = name, level
    team.parent_id = parent.id if parent else None
    team.timezone = zone
    team.follows_channel = form.get("follow", "yes") == "yes"
    _set_role(ctx.session, team, lead, "lead")
    added, without_email = [], []
    for profile in members:
        if not profile.email:
            without_email.append(profile.name)
            continue
        person = person_from_profile(ctx.session, ctx.org, ctx.platform, profile)
        if person.id != lead.id:
            _set_role(ctx.session, team, person, "member")
        added.append(person.name)
    settings = {(r.team_id, r.ritual): r for r in ctx.session.scalars(
        select(RitualSetting).where(RitualSetting.team_id == team.id))}
    apply_rituals(ctx.session, team, {}, [], settings, set())
    ctx.session.flush()
    text = words("team_saved", team=team.name, key=team.key, channel=channel.name, lead=lead.name,
                 members=", ".join(sorted(added)), count=len(added), skipped=", ".join(without_email),
                 follows=team.follows_channel, zone=team_timezone(ctx.session, team, ctx.org))
    buttons = (Button(words("step_objective"), "setup_objective", str(team.id), style="primary"),
               Button(words("step_rituals"), "setup_rituals", str(team.id)),
               Button(words("another_team"), "setup_team"))
    return Reply(card=Card(None, (Text(text), Actions(buttons)), fallback=text))


# ------------------------------------------------------------------ 3. the first objective


def _chosen_team(ctx: Ctx, raw: str) -> Team | None:
    team_id = row_id(raw) if raw else None
    team = ctx.session.get(Team, team_id) if team_id else None
    return team if team is not None and team.org_id == ctx.org.id else None


def objective_form(ctx: Ctx, team: Team) -> Form:
    """The quarter's drafting form (bot.services.drafts), for the quarter running now: one form and one set of
    rules for writing a team's OKR, whether drafted for the next cycle or set up for this one."""
    form = drafts.draft_form(ctx, running_cycle(ctx.session, ctx.org, ctx.now), team)
    return replace(form, form_id="setup_objective", title=words("objective_title"), submit_label=words("save"))


@action("setup_objective")
def open_objective(ctx: Ctx, interaction: Interaction) -> Reply:
    """The team the button names; else this channel's team; else the company's (the method starts at the top)
    for whoever sets the organization up, or the first team a lead leads."""
    team = _chosen_team(ctx, interaction.value) or ctx.channel_team()
    if team is None and may_set_up(ctx):
        team = company_team(ctx.session, ctx.org.id)
    if team is None:
        team = next((t for t in ctx.my_teams() if ctx.is_lead(t)), None)
    if team is None:
        _require(ctx, may_set_up(ctx))
        raise Refusal("setup_teams_first")
    _require_team_step(ctx, team)
    return Reply(form=objective_form(ctx, team))


def running_cycle(session: Session, org: Organization, now: datetime) -> Cycle:
    """The cycle running now, else this calendar quarter (in the organization's zone), not stored yet (a form
    that is only opened writes nothing): `quarter_cycle` stores it."""
    cycle = current_cycle(session, org, now)
    today = now.astimezone(ZoneInfo(org.timezone)).date()
    if cycle is not None and cycle.start <= today <= cycle.end:
        return cycle
    quarter = (today.month - 1) // 3
    start = date(today.year, quarter * 3 + 1, 1)
    end = date(today.year + (quarter == 3), (quarter * 3 + 3) % 12 + 1, 1).toordinal() - 1
    return Cycle(org_id=org.id, name=f"{today.year}-Q{quarter + 1}", start=start, end=date.fromordinal(end))


def quarter_cycle(session: Session, org: Organization, now: datetime) -> Cycle:
    """The cycle running now, else this calendar quarter, added."""
    cycle = running_cycle(session, org, now)
    if cycle.id is None:
        session.add(cycle)
        session.flush()
    return cycle


@submit("setup_objective")
def save_objective(ctx: Ctx, interaction: Interaction) -> Reply:
    """Written by the drafting code path and its lint (a warning comes back by its field and nothing is kept),
    but active at once: the quarter is running, and the people setting the organization up decide it."""
    team = _chosen_team(ctx, interaction.value)
    if team is None:
        raise Refusal("stale_action")
    _require_team_step(ctx, team)
    cycle = quarter_cycle(ctx.session, ctx.org, ctx.now)
    written = drafts.write_objective(ctx, cycle, team, dict(interaction.form), "active")
    if written.errors or written.objective is None:
        return Reply(errors=written.errors)
    objective = written.objective
    text = words("objective_saved", team=team.name, key=objective.key, title=objective.title, count=written.count,
                 cycle=cycle.name, prefix=ctx.prefix)
    advice = [Context("💡 " + line) for line in written.advice]
    buttons = (Button(words("step_rituals"), "setup_rituals", str(team.id), style="primary"),
               Button(words("another_objective"), "setup_objective", str(team.id)))
    return Reply(card=Card(None, (Text(text), *advice, Actions(buttons)), fallback=text))


# ------------------------------------------------------------------ 4. the rituals


def _settings(session: Session, team: Team) -> dict[str, RitualSetting]:
    return {s.ritual: s for s in session.scalars(select(RitualSetting).where(RitualSetting.team_id == team.id))}


def rituals_form(ctx: Ctx, team: Team) -> Form:
    zone = team_timezone(ctx.session, team, ctx.org)
    settings = _settings(ctx.session, team)
    fields = []
    for ritual in catalog.CATALOG.values():
        setting = settings.get(ritual.name)
        if setting is None:
            initial = ritual.default if ritual.enabled else "off"
        else:
            initial = f"{catalog.DAYS[setting.weekday]} {setting.time}" if setting.enabled else "off"
        fields.append(FormField(ritual.name, ritual.spoken_title, initial=initial,
                                hint=words("ritual_hint", zone=zone)))
    return Form("setup_rituals", words("rituals_title"), tuple(fields), submit_label=words("save"),
                intro=words("rituals_intro", team=team.name, zone=zone), metadata=str(team.id))


@action("setup_rituals")
def open_rituals(ctx: Ctx, interaction: Interaction) -> Reply:
    team = _chosen_team(ctx, interaction.value) or ctx.channel_team()
    if team is None:
        mine = [t for t in ctx.my_teams() if ctx.is_lead(t)]
        team = mine[0] if mine else None
    if team is None:
        raise Refusal("setup_teams_first")
    _require_team_step(ctx, team)
    return Reply(form=rituals_form(ctx, team))


@submit("setup_rituals")
def save_rituals(ctx: Ctx, interaction: Interaction) -> Reply:
    team = _chosen_team(ctx, interaction.value)
    if team is None:
        raise Refusal("stale_action")
    _require_team_step(ctx, team)
    chosen: dict[str, tuple[int, str] | None] = {}
    for ritual in catalog.CATALOG.values():
        raw = (interaction.form.get(ritual.name) or "").strip()
        if not raw:
            continue
        if raw.lower() == "off":
            chosen[ritual.name] = None
            continue
        parsed = parse_ritual_time(raw)
        if parsed is None:
            raise Refusal("bad_ritual_time", field=ritual.name, given=raw[:20])
        chosen[ritual.name] = parsed
    settings = {(team.id, name): row for name, row in _settings(ctx.session, team).items()}
    skipped = set(ctx.session.execute(select(SkippedWeek.team_id, SkippedWeek.week).where(
        SkippedWeek.team_id == team.id)))
    apply_rituals(ctx.session, team, chosen, [], settings, skipped)
    ctx.session.flush()
    return Reply(card=rituals_card(ctx, team))


def rituals_card(ctx: Ctx, team: Team) -> Card:
    """The team's rituals with their next local times, and its Monday post as it would look now."""
    zone = team_timezone(ctx.session, team, ctx.org)
    lines = []
    for name, setting in sorted(_settings(ctx.session, team).items(), key=lambda s: (s[1].weekday, s[1].time)):
        if setting.enabled:
            lines.append({"title": catalog.CATALOG[name].spoken_title if name in catalog.CATALOG else name,
                          "next": describe(next_due(name, setting.weekday, setting.time, zone, ctx.now))})
    text = words("rituals_saved", team=team.name, zone=zone, rituals=lines)
    elements: list = [Text(text)]
    monday = catalog.get("monday")
    builder = monday.post_builder() if monday else None
    if builder is not None:
        occasion = catalog.Occasion(ctx.session, ctx.org, team, ctx.week(team), ctx.now, ctx.dashboard_url, zone)
        preview = builder(occasion)
        elements.extend((Divider(), Text(words("preview", title=preview.title or monday.spoken_title)),
                         *preview.elements))
    return Card(words("rituals_done_title", team=team.name), tuple(elements), fallback=text)


# ------------------------------------------------------------------ membership following the channel


def follow_membership(session: Session, org: Organization, platform: str, channel: str, profile: Profile,
                      joined: bool) -> list[str]:
    """Someone joined or left a channel: the teams bound to it that follow it gain or lose them as a member
    (a lead stays a lead). The names of the teams changed."""
    teams = session.scalars(select(Team).join(ChannelBinding, ChannelBinding.team_id == Team.id).where(
        ChannelBinding.org_id == org.id, ChannelBinding.platform == platform, ChannelBinding.channel_id == channel,
        Team.follows_channel.is_(True))).all()
    if not teams:
        return []
    changed = []
    if joined:
        if not profile.email:
            return []
        person = person_from_profile(session, org, platform, profile)
        for team in teams:
            if session.get(TeamMember, (team.id, person.id)) is None:
                _set_role(session, team, person, "member")
                changed.append(team.name)
        return changed
    account = session.scalar(select(PlatformAccount).where(
        PlatformAccount.org_id == org.id, PlatformAccount.platform == platform,
        PlatformAccount.account_id == profile.account_id))
    if account is None:
        return []
    for team in teams:
        member = session.get(TeamMember, (team.id, account.person_id))
        if member is not None and member.role == "member":
            session.delete(member)
            changed.append(team.name)
    session.flush()
    return changed

