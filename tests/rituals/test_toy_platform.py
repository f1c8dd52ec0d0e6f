"""A new platform is an adapter's registration, nothing in bot/ or storage/: this test registers a toy
platform of its own (a spec and a messenger that records what it is asked to send) and drives it
through the core to a reply, a bound channel, a ritual post and a direct message, and its workspace,
accounts and channels through export and import. An Interaction from
a platform nobody registered is refused in words and logged, and changes nothing."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pytest
import yaml
from sqlalchemy import delete, func, select

from bot import platforms
from bot.exporter import export_yaml
from bot.importer import ImportFailed, import_text
from bot.model import Card, Conversation, Interaction, MessageRef
from bot.rituals.runner import run_ritual
from bot.workspaces import workspaces_of
from storage.db import transaction
from storage.models import Base, ChannelBinding, Organization, Person, PlatformAccount
from tests.conftest import EXAMPLE, card_text
from tests.rituals.conftest import MONDAY_0900

TOY = platforms.PlatformSpec(name="toy", prefix="!okr", rank=5)
LEAD = "director.rd@example.com"


@dataclass
class ToyMessenger:
    """The toy platform's outbound side: every send is recorded and gets an id."""

    platform: str = "toy"
    sent: list[tuple[str, object, Card]] = field(default_factory=list)

    def _ref(self, channel: str) -> MessageRef:
        return MessageRef(channel, f"toy-{len(self.sent)}")

    async def post(self, to: Conversation, card: Card) -> MessageRef:
        self.sent.append(("post", to, card))
        return self._ref(to.channel_id)

    async def reply(self, to: Conversation, thread: MessageRef, card: Card) -> MessageRef:
        self.sent.append(("reply", to, card))
        return self._ref(to.channel_id)

    async def update(self, to: Conversation, message: MessageRef, card: Card) -> None:
        self.sent.append(("update", to, card))

    async def send_direct(self, platform_user_id: str, workspace: str, card: Card) -> MessageRef:
        self.sent.append(("direct", (platform_user_id, workspace), card))
        return self._ref(platform_user_id)


@pytest.fixture
def toy():
    platforms.register(TOY)
    yield TOY
    platforms.unregister(TOY.name)


def said(core, text: str, conversation: str | None = "toy-rd", actor: str = "toy-u1", email: str = LEAD) -> str:
    return card_text(core.handle(Interaction(platform="toy", workspace="TOYWS", actor=actor, actor_email=email,
                                             kind="command", text=text, conversation=conversation)))


async def test_a_toy_platform_gets_replies_a_channel_and_ritual_posts(toy, app_ctx, core, clock, deliverer,
                                                                       sessions, org_id):
    assert "!okr mine" in said(core, "help")  # the platform's own prefix, in the core's words
    with sessions() as s:  # the workspace's first request claimed the only organization
        assert workspaces_of(s, org_id) == {"toy": "TOYWS"}
        assert s.scalar(select(PlatformAccount.account_id).where(PlatformAccount.platform == "toy")) == "toy-u1"
    assert "now where *R&D Efficiency* gets" in said(core, "bind rd-efficiency")

    toy_messenger = app_ctx.messengers["toy"] = ToyMessenger()
    clock.set(MONDAY_0900)
    outcome = await run_ritual(app_ctx, "rd-efficiency", "monday", deliverer=deliverer)
    assert (outcome.state, outcome.platform, outcome.channel_id) == ("posted", "toy", "toy-rd"), outcome
    kind, to, card = toy_messenger.sent[0]
    assert (kind, to) == ("post", Conversation("toy", "TOYWS", "toy-rd"))
    assert "R&D Efficiency" in (card.title or "") + card.fallback


def test_an_unregistered_platform_is_refused_in_words_and_logged(core, sessions, org_id, caplog):
    with caplog.at_level(logging.ERROR, logger="bot.core"):
        text = said(core, "help")  # "toy" is not registered in this test
    assert "not connected to okrbot properly" in text
    assert "unregistered platform 'toy'" in caplog.text
    with sessions() as s:  # nothing claimed, nothing created
        assert workspaces_of(s, org_id) == {}
        assert s.scalar(select(func.count()).select_from(Organization)) == 1
        assert s.scalar(select(func.count()).select_from(PlatformAccount).where(PlatformAccount.platform == "toy")) == 0


def test_a_toy_platforms_workspace_accounts_and_channels_go_through_export_and_import(toy, core, clock, sessions,
                                                                                    org_id):
    """The import format knows every registered platform with accounts: nothing of the toy's is lost."""
    said(core, "help")  # claims TOYWS for the organization and records the lead's toy account
    said(core, "bind rd-efficiency")
    with sessions() as s:
        text = export_yaml(s, s.get(Organization, org_id))
    doc = yaml.safe_load(text)
    assert doc["organization"]["workspaces"] == {"toy": "TOYWS"}
    assert next(p for p in doc["people"] if p["email"] == LEAD)["toy"] == "toy-u1"
    assert next(t for t in doc["teams"] if t["key"] == "rd-efficiency")["channels"]["toy"] == "toy-rd"

    with transaction(sessions) as s:  # a fresh database gets the organization from the file alone
        for table in reversed(Base.metadata.sorted_tables):
            if table.name != "alembic_version":
                s.execute(delete(table))
    with transaction(sessions) as s:
        new_id = import_text(s, text, clock.now()).organization_id
    with sessions() as s:
        assert workspaces_of(s, new_id) == {"toy": "TOYWS"}
        assert s.scalar(select(PlatformAccount.account_id).join(Person, Person.id == PlatformAccount.person_id)
                        .where(PlatformAccount.platform == "toy", Person.email == LEAD)) == "toy-u1"
        assert s.scalar(select(ChannelBinding.channel_id).where(ChannelBinding.platform == "toy")) == "toy-rd"
        assert export_yaml(s, s.get(Organization, new_id)) == text  # and out again, the same file


def test_without_the_toy_platform_its_keys_are_refused_by_name(sessions, clock):
    with transaction(sessions) as s, pytest.raises(ImportFailed, match="toy") as failed:
        import_text(s, EXAMPLE.read_text().replace("organization:\n", "organization:\n  workspaces: {toy: T1}\n", 1),
                    clock.now())
    assert "expected slack or teams" in str(failed.value)
