"""The mission statement: the method's three parts, who sets it, and the import file's `organization.mission`."""

from __future__ import annotations

import pytest
import yaml
from sqlalchemy import select

from bot.exporter import export_yaml
from bot.importer import ImportFailed, import_text
from bot.services.mission import missing_parts
from storage.db import transaction
from storage.models import Organization
from tests.conftest import EXAMPLE, card_text

MISSION = "We make fresh food affordable in city retail, so every family eats well"


@pytest.mark.parametrize("text, missing", [
    (MISSION, []),
    ("We bring speed in logistics - families get their parcels sooner", []),
    ("we help merchants in e-commerce grow and feed their families", []),
    ("We sell coffee in Shanghai", ["lives"]),
    ("We sell coffee in Shanghai so mornings", ["lives"]),  # one word is not a way lives improve
    ("Sell coffee in Shanghai to make mornings better", ["value"]),
    ("We in retail, so people eat well", ["value"]),
    ("We are great", ["field", "lives"]),
    ("Coffee", ["value", "field", "lives"]),
])
def test_the_three_parts_are_read_from_the_shape(text, missing):
    assert missing_parts(text) == missing


def _org(sessions) -> Organization:
    with sessions() as s:
        return s.scalar(select(Organization))


def test_only_a_company_lead_sets_it_and_a_refusal_saves_nothing(chat, sessions):
    assert "There is no mission statement yet" in card_text(chat.say("mission"))
    refused = card_text(chat.say(f"mission {MISSION}", actor="vp.ecology@example.com"))  # a department lead
    assert "Only the leads of JD Retail can do that (Chen Hao)." in refused
    refused = card_text(chat.say("mission We sell coffee in Shanghai", actor="ceo@example.com"))
    assert "Missing:\n• how it improves people's lives" in refused and _org(sessions).mission is None
    saved = chat.say(f"mission   {MISSION}  ", actor="ceo@example.com")
    assert saved.visibility == "channel" and MISSION in card_text(saved)
    assert _org(sessions).mission == MISSION
    assert MISSION in card_text(chat.say("mission"))  # anyone reads it
    assert "no_mission" not in card_text(chat.say("lint"))


def test_the_import_file_carries_the_mission_and_export_writes_it_back(sessions, org_id, clock):
    data = yaml.safe_load(EXAMPLE.read_text())
    data["organization"]["mission"] = MISSION
    with transaction(sessions) as s:
        import_text(s, yaml.safe_dump(data, sort_keys=False), clock.now())
    assert _org(sessions).mission == MISSION
    with sessions() as s:
        exported = yaml.safe_load(export_yaml(s, s.get(Organization, org_id)))
    assert exported["organization"]["mission"] == MISSION
    with transaction(sessions) as s:  # a file without one keeps the mission set in chat
        import_text(s, EXAMPLE.read_text(), clock.now())
    assert _org(sessions).mission == MISSION

    data["organization"]["mission"] = "Coffee for all"
    with pytest.raises(ImportFailed) as failed, transaction(sessions) as s:
        import_text(s, yaml.safe_dump(data, sort_keys=False), clock.now())
    [error] = failed.value.errors
    assert "organization.mission: lacks (value) and (field) and (improving lives)" in error
    assert error.startswith("line ")
