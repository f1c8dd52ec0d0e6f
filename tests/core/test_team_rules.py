"""One function per rule about teams (issue 11): every caller reaches the same answer through it."""

from __future__ import annotations

from bot.teams import team_by_key, team_keys
from storage.models import Team
from tests.conftest import card_text


def test_a_key_is_found_whatever_its_case_and_blanks(sessions, org_id):
    with sessions() as s:
        for typed in ("rd-efficiency", "RD-Efficiency", "  rd-efficiency\t"):
            team = team_by_key(s, org_id, typed)
            assert isinstance(team, Team) and team.key == "rd-efficiency"
        assert team_by_key(s, org_id, "rd") is None
        assert team_by_key(s, org_id + 1000, "rd-efficiency") is None  # another organization's keys are not ours
        assert team_keys(s, org_id, 2) == ["ecology", "ecology-hr"]


def test_a_command_naming_a_team_and_the_sandbox_channel_use_the_same_rule(chat):
    """The grammar's key and the sandbox's channel name used to be looked up by two rules (one ignored
    case, the other did not): a channel named in capitals found no team."""
    assert "Platform Ecology HR" in card_text(chat.say("okrs ECOLOGY-HR"))
    assert "Platform Ecology HR" in card_text(chat.say("okrs", conversation="Ecology-HR"))  # not the engineer's own


def test_a_lead_of_one_team_and_member_of_another_has_one_primary_team(sessions, org_id, chat, clock):
    """Liu Liu leads R&D Efficiency and is a member of Platform Ecology HR (both teams). `/okr priorities`
    used to pick the team she is a member of (members sorted first) while the Monday direct message of
    her objectives came from the older team: now both follow bot.teams.own_teams (the lead's team)."""
    from sqlalchemy import select, update

    from bot.rituals.catalog import Occasion
    from bot.rituals.content import objectives_messages
    from bot.weeks import week_of
    from storage.db import transaction
    from storage.models import Organization, Person, TeamMember

    with transaction(sessions) as s:
        liu = s.scalar(select(Person).where(Person.email == "liu.liu@example.com"))
        rd, hr = team_by_key(s, org_id, "rd-efficiency"), team_by_key(s, org_id, "ecology-hr")
        s.execute(update(TeamMember).where(TeamMember.person_id == liu.id, TeamMember.team_id == rd.id)
                  .values(role="lead"))
        s.add(TeamMember(org_id=org_id, team_id=hr.id, person_id=liu.id, role="member"))
    form = chat.say("priorities", actor="liu.liu@example.com").form
    assert form.metadata == str(rd.id)  # the priorities form is for her team's week
    with sessions() as s:
        org, week = s.get(Organization, org_id), week_of(clock.now())
        told = {key: [m.person_id for m in objectives_messages(Occasion(s, org, team_by_key(s, org_id, key), week,
                                                                         clock.now()))]
                for key in ("rd-efficiency", "ecology-hr")}
    assert told == {"rd-efficiency": [liu.id], "ecology-hr": []}


def test_a_teams_zone_is_the_same_by_either_access_path_on_every_team_of_the_demo(sessions, clock):
    """team_timezone (one team: a recursive query) and team_zones (the sweep: every team, walked in
    memory) are one rule, zone_of; on the demo organization, plus a zone two levels down and an
    inherited one under a team with its own zone, they agree on every team."""
    from sqlalchemy import select

    from bot.context import team_timezone, team_zones
    from bot.demo.seed import seed_demo
    from storage.db import transaction
    from storage.models import Organization

    with transaction(sessions) as s:
        org_id = seed_demo(s, clock.now()).organization_id
        hr, rd = team_by_key(s, org_id, "ecology-hr"), team_by_key(s, org_id, "rd-efficiency")
        s.add(Team(org_id=org_id, key="hr-ops", name="HR Ops", level="team", parent_id=hr.id))
        s.add(Team(org_id=org_id, key="rd-london", name="R&D London", level="team", parent_id=rd.id,
                   timezone="Europe/London"))
    with sessions() as s:
        org = s.get(Organization, org_id)
        teams = s.scalars(select(Team).where(Team.org_id == org_id)).all()
        one_by_one = {t.key: team_timezone(s, t, org) for t in teams}
        every = team_zones(s, {org_id})
        assert one_by_one == {t.key: every[t.id] for t in teams}
    assert one_by_one["hr-ops"] == "Asia/Shanghai" and one_by_one["rd-london"] == "Europe/London"
    assert len(one_by_one) >= 6
