"""Slack tells okrbot each person's locale (users.info with include_locale): a person whose Slack is in
Chilean Spanish gets Spanish replies in an organization whose default is English, until they choose."""

from __future__ import annotations

from sqlalchemy import select

from adapters.slack.routes import BRIDGE
from storage.models import Organization, Person, PlatformAccount
from tests.slack.conftest import ENGINEER


async def test_a_person_with_locale_es_cl_gets_spanish_replies_in_an_english_organization(slack, sessions,
                                                                                          fake_slack):
    with sessions() as s:
        assert s.scalar(select(Organization.language)) is None  # English by default
    fake_slack.add_user(ENGINEER, None, "Zhou Qiang", locale="es-CL")
    await slack.command("language")  # linked in the import: Slack is asked for the locale after this answer
    await slack.client.app[BRIDGE].drain()
    (call,) = fake_slack.calls_to("users.info")
    assert call.body["include_locale"] in ("1", "true")
    status, body = await slack.command("language")
    assert status == 200
    assert "Te hablo en *Español* (`es-CL`) porque tu aplicación de chat está configurada en `es-CL`." in body["text"]
    _status, body = await slack.command("language fr")  # a refusal speaks Spanish too
    assert "Todavía no hablo `fr`" in body["text"]
    with sessions() as s:
        assert s.scalar(select(PlatformAccount.locale).where(PlatformAccount.account_id == ENGINEER)) == "es-CL"
    assert len(fake_slack.calls_to("users.info")) == 1  # asked once, remembered


async def test_a_stranger_is_asked_for_the_locale_with_the_email_and_their_own_choice_wins(slack, sessions,
                                                                                           fake_slack):
    with sessions() as s:
        email = s.scalar(select(Person.email).where(Person.name == "Sun Mei"))
    fake_slack.add_user("U0NEWCOMER", email, "Sun Mei", locale="es-CL")
    _status, body = await slack.command("language", user="U0NEWCOMER")
    assert "Te hablo en *Español*" in body["text"]
    _status, body = await slack.command("language zh-cn", user="U0NEWCOMER")
    assert "我用 *简体中文*（`zh-CN`）和你交流，因为这是你自己选的。" in body["text"]
    with sessions() as s:
        assert s.scalar(select(Person.language).where(Person.email == email)) == "zh-CN"
    _status, body = await slack.command("idioma auto", user="U0NEWCOMER")  # the Spanish word for the command
    assert "Te hablo en *Español*" in body["text"]
