"""A ritual defined here, in the tests, with its own template, is picked up by everything that knows
rituals: the grammar and its error wording, the CLI, the importer's defaults and the exporter, the
schedule, the worker, the sandbox's buttons. Adding a ritual is a catalog entry, its builders and
its templates; nothing else in bot/, okrbot/ or adapters/ names it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from bot.commands import USAGE
from bot.exporter import export_yaml
from bot.importer import ImportFailed, import_text
from bot.model import Card, Text
from bot.render import add_prompts, render
from bot.rituals import catalog
from bot.rituals.catalog import Occasion, Ritual
from bot.rituals.content import Outbound
from bot.rituals.schedule import occurrence
from okrbot import cli
from okrbot.clock import RitualClock
from storage.db import transaction
from storage.models import Organization, Person, RitualSetting, TeamMember
from tests.conftest import EXAMPLE, card_text
from tests.rituals.conftest import runs_of, sandbox_messages, team_id
from tests.sandbox.conftest import make_client, sign_in_as, visible_text

LEAD = "director.rd@example.com"  # leads rd-efficiency
HERE = "tests.rituals.test_catalog"
# Wednesday 2026-11-25 11:00 in Shanghai, the example organization's zone (ISO week 2026-W48).
WEDNESDAY_1100 = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


def midweek_post(o: Occasion) -> Card:
    members = o.session.scalar(select(func.count()).select_from(TeamMember).where(TeamMember.team_id == o.team.id))
    text = render("ritual_midweek", team=o.team.name, week=o.period, count=members)
    return Card(None, (Text(text),), fallback=text)


def midweek_messages(o: Occasion) -> list[Outbound]:
    """To each lead of the team, a note of their own."""
    leads = o.session.scalars(select(Person).join(TeamMember, TeamMember.person_id == Person.id)
                              .where(TeamMember.team_id == o.team.id, TeamMember.role == "lead"))
    notes = {lead.id: f"Midweek, {lead.name}" for lead in leads}
    return [Outbound(f"dm:{lead}", Card(None, (Text(note),), fallback=note), lead) for lead, note in notes.items()]


MIDWEEK = Ritual("midweek", 2, "11:00", True, post=f"{HERE}:midweek_post", direct=f"{HERE}:midweek_messages",
                 sandbox=True)  # named by prompts/ritual_midweek_name.j2 beside this file


@pytest.fixture(autouse=True)
def midweek():
    """Registered before the example organization is imported (autouse fixtures come first)."""
    add_prompts(Path(__file__).parent / "prompts")
    catalog.register(MIDWEEK)
    yield MIDWEEK
    catalog.unregister(MIDWEEK.name)


def test_the_grammar_schedule_and_its_wording_know_it(chat, sessions):
    text = card_text(chat.say("schedule midweek thu 10:30", actor=LEAD))
    assert "midweek check" in text and "Thursdays at 10:30 (Asia/Shanghai time)" in text, text
    with sessions() as s:
        row = s.get(RitualSetting, (team_id(sessions, "rd-efficiency"), "midweek"))
        assert (row.weekday, row.time, row.enabled) == (3, "10:30", True)
    assert "midweek check" in card_text(chat.say("schedule", actor=LEAD))
    refused = card_text(chat.say("schedule lunch 10:00", actor=LEAD))
    names = ("monday, friday, wrapup, report, subscriptions, nudge, planning, kickoff, midreview, closing, retro "
             "and midweek")
    assert f"The rituals are {names};" in refused
    usage = ("schedule monday|friday|wrapup|report|subscriptions|nudge|planning|kickoff|midreview|closing|retro|"
             "midweek [DAY]")
    assert usage in USAGE["schedule"]
    assert usage in card_text(chat.say("help schedule"))


def test_the_import_gives_its_default_and_the_export_carries_changes(sessions, org_id, clock):
    rd = team_id(sessions, "rd-efficiency")
    with transaction(sessions) as s:
        assert (lambda r: (r.weekday, r.time, r.enabled))(s.get(RitualSetting, (rd, "midweek"))) == (2, "11:00", True)
        org = s.get(Organization, org_id)
        document = yaml.safe_load(export_yaml(s, org))
        team = next(t for t in document["teams"] if t["key"] == "rd-efficiency")
        assert "midweek" not in (team.get("rituals") or {})  # the default is not written out
        s.get(RitualSetting, (rd, "midweek")).weekday = 3
        exported = export_yaml(s, org)
    team = next(t for t in yaml.safe_load(exported)["teams"] if t["key"] == "rd-efficiency")
    assert team["rituals"]["midweek"] == "THU 11:00"
    with transaction(sessions) as s:
        s.get(RitualSetting, (rd, "midweek")).weekday = 2
        import_text(s, exported, clock.now(), org_id)  # the exported file puts it back
    with sessions() as s:
        assert s.get(RitualSetting, (rd, "midweek")).weekday == 3
    bad = EXAMPLE.read_text().replace("    rituals:", "    rituals:\n      lunch: MON 12:00", 1)
    with transaction(sessions) as s, pytest.raises(ImportFailed) as failed:
        import_text(s, bad, clock.now())
    expected = ("expected monday, friday, wrapup, report, subscriptions, nudge, planning, kickoff, midreview, closing, "
                "retro, midweek or skip")
    assert expected in str(failed.value.errors)


async def test_the_clock_runs_its_builders_when_due(app_ctx, clock, deliverer, sessions):
    due = occurrence("midweek", 2, "11:00", "2026-W48", "Asia/Shanghai")
    assert due.at == WEDNESDAY_1100 and due.window_end == datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
    clock.set(WEDNESDAY_1100)
    await RitualClock(app_ctx, deliverer=deliverer).tick()
    runs = {run.team_id: run for run in runs_of(sessions, "midweek")}
    rd = runs[team_id(sessions, "rd-efficiency")]
    assert rd.state == "posted", rd.reason
    posts = [m for m in sandbox_messages(sessions, "rd-efficiency") if "Midweek check of" in m.text]
    assert len(posts) == 1 and "(2026-W48)" in posts[0].text, [m.text for m in posts]
    with sessions() as s:
        lead = s.scalar(select(Person).where(Person.email == LEAD))
    assert any(m.text == f"Midweek, {lead.name}" for m in sandbox_messages(sessions, f"dm:{lead.id}"))


def test_the_cli_accepts_it(database_url, org_id, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("OKRBOT_SANDBOX", "1")
    assert cli.main(["ritual", "run", "midweek", "--team", "rd-efficiency", "--at", "2026-11-25T11:00+08:00"]) == 0
    assert "posted midweek of 2026-W48 in sandbox channel rd-efficiency" in capsys.readouterr().out
    assert cli.main(["ritual", "status"]) == 0
    assert "midweek next Wed" in capsys.readouterr().out


async def test_the_sandbox_can_force_it(database_url, clock, org_id, sessions):
    ctx, client = make_client(database_url, clock, sandbox=True)
    await client.start_server()
    try:
        await sign_in_as(client, sessions, LEAD)
        page = await (await client.get("/sandbox/c/rd-efficiency")).text()
        assert 'value="midweek"><button type="submit">Midweek check</button>' in page
        response = await client.post("/sandbox/c/rd-efficiency/rituals", data={"ritual": "midweek"})
        text = visible_text(await response.text())
        assert "Midweek check of" in text and "Midweek check: posted midweek" in text, text
    finally:
        await client.close()


def test_an_entry_must_build_something_that_exists():
    with pytest.raises(ValueError, match="builds nothing"):
        Ritual("empty", 0, "09:00", True)
    with pytest.raises(ValueError, match="does not exist"):
        catalog.register(Ritual("typo", 0, "09:00", True, post=f"{HERE}:no_such_builder"))
    assert "typo" not in catalog.CATALOG


def test_an_entry_without_the_template_that_names_it_is_refused_at_registration():
    """Its name is wording, so it lives in prompts/ritual_NAME_name.j2: missing, registration fails (not the first
    message that names it)."""
    with pytest.raises(ValueError, match=r"prompts/ritual_nameless_name\.j2 must define title\(\)"):
        catalog.register(Ritual("nameless", 2, "11:00", True, post=f"{HERE}:midweek_post"))
    assert "nameless" not in catalog.CATALOG
