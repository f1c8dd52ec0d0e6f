"""The persona sweep once per shipped language: the whole organization speaks it (each person's own choice,
the teams' and the organization's language), and every platform is swept as in English (test_sweep.py).

Besides no 5xx, no apology and no error in the logs, nothing okrbot wrote may show an unfilled placeholder
or the English of a message the catalogs translate (tests/personas/drivers.Speaking).

The full sweep runs in English over both databases; here each language runs over SQLite only: the
language changes no query, and this keeps `make test` within its time on two cores.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import update

from bot import i18n
from bot.render import render_error
from storage.db import transaction
from storage.models import Organization, Person, Team
from tests.i18n.test_catalogs import catalog
from tests.personas import drivers, grammar, test_sweep

LANGUAGES = [tag for tag, _name in i18n.languages() if tag != i18n.ENGLISH]
MARKUP_OR_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|[*_`\"“”«»]|\n")
SHORTEST = 24  # a shorter piece of English may well be a name, a code or a person's own words


def english_of(language: str) -> tuple[str, ...]:
    """The longest plain piece of each translated message's English, unless the translation keeps it (a
    command example stays English in every language)."""
    found = set()
    for entry in catalog(i18n.catalog_of(language)):
        if not entry.id or not entry.string:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = " ".join(entry.string if isinstance(entry.string, tuple) else (entry.string,))
        for message in ids:
            piece = max(MARKUP_OR_PLACEHOLDER.split(message), key=len).strip()
            if len(piece) >= SHORTEST and piece not in strings:
                found.add(piece)
    return tuple(sorted(found))


def _in_their_own_language(stranger):
    """A stranger has no person to choose a language for: their chat app's locale (English in the fakes) rules."""
    async def step(self, persona):
        english, drivers.SPEAKING.english = drivers.SPEAKING.english, ()
        try:
            return await stranger(self, persona)
        finally:
            drivers.SPEAKING.english = english

    return step


@pytest.fixture
def speaking(request, sessions, demo_org, monkeypatch) -> Iterator[str]:
    language = request.param
    # `language auto` or `language en` rightly switches to English: the English sweep types those.
    valid = [text for text in grammar.valid_commands() if text.split()[0] not in ("language", "idioma", "语言")]
    monkeypatch.setattr(grammar, "valid_commands", lambda: valid)
    for driver in (drivers.SandboxDriver, drivers.SlackDriver, drivers.TeamsDriver):
        monkeypatch.setattr(driver, "stranger", _in_their_own_language(driver.stranger))
    with transaction(sessions) as session:
        session.execute(update(Organization).where(Organization.id == demo_org).values(language=language))
        session.execute(update(Team).where(Team.org_id == demo_org).values(language=language))
        session.execute(update(Person).where(Person.org_id == demo_org).values(language=language))
    with i18n.speaking(language):
        apology = render_error("internal").lower()
    drivers.SPEAKING = drivers.Speaking(apology, english_of(language))
    try:
        yield language
    finally:
        drivers.SPEAKING = drivers.Speaking()


def test_the_english_looked_for_is_there():
    """The check can fail: each language has English to look for, and a translated sentence is among it."""
    for language in LANGUAGES:
        english = english_of(language)
        assert len(english) > 100, language
        assert "how likely you think it is now" in english, language


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("speaking", LANGUAGES, indirect=True)
async def test_sandbox(speaking, database_url, clock, demo_org, sessions, caplog):
    await test_sweep.test_sandbox(database_url, clock, demo_org, sessions, caplog)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("speaking", LANGUAGES, indirect=True)
async def test_slack(speaking, database_url, clock, demo_org, fake_slack, caplog):
    await test_sweep.test_slack(database_url, clock, demo_org, fake_slack, caplog)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("speaking", LANGUAGES, indirect=True)
async def test_teams(speaking, database_url, clock, demo_org, bot_connector, monkeypatch, caplog):
    await test_sweep.test_teams(database_url, clock, demo_org, bot_connector, monkeypatch, caplog)
