"""The pages speak the viewer's language: their own choice, else the language switch (`?lang=`, then its
cookie), else the organization's; dates, numbers and percentages the language's way, times in the zone."""

from __future__ import annotations

import re

from sqlalchemy import update

from adapters.web.access import LANGUAGE_COOKIE
from storage.db import transaction
from storage.models import Objective, Organization, Person
from tests.sandbox.conftest import say, sign_in_as, visible_text


def _set(sessions, model, where, **values) -> None:
    with transaction(sessions) as s:
        s.execute(update(model).where(where).values(**values))


def _html_lang(html: str) -> str:
    return re.search(r'<html lang="([^"]+)">', html).group(1)


async def test_the_organizations_language_is_the_pages_language(client, sessions, org_id):
    _set(sessions, Organization, Organization.id == org_id, language="zh-CN")
    html = await (await client.get("/")).text()
    assert _html_lang(html) == "zh-CN"
    text = visible_text(html)
    assert "个人目标" in text and "本周胜利" in text and "Individual objectives" not in text
    assert "2026 年第 47 周" in text  # the example's week, in Chinese


async def test_the_switch_is_remembered_and_beats_the_organizations_language(client, sessions, org_id):
    _set(sessions, Organization, Organization.id == org_id, language="zh-CN")
    response = await client.get("/?lang=es")
    html = await response.text()
    assert _html_lang(html) == "es" and "Objetivos individuales" in visible_text(html)
    assert response.cookies[LANGUAGE_COOKIE].value == "es"
    again = await (await client.get("/advice")).text()  # no ?lang=: the cookie the switch left
    assert _html_lang(again) == "es" and "Alineación y consejos" in visible_text(again)
    # the switch names every language in its own words, this page's address in each link
    assert 'href="/advice?lang=zh-CN"' in again and ">简体中文</a>" in again and ">English</a>" in again


async def test_a_switch_to_a_language_okrbot_does_not_speak_changes_nothing(client, org_id):
    response = await client.get("/?lang=fr")
    assert response.status == 200 and _html_lang(await response.text()) == "en"
    assert LANGUAGE_COOKIE not in response.cookies


async def test_the_persons_own_choice_beats_the_switch(client, sessions, org_id):
    _set(sessions, Person, Person.email == "engineer@example.com", language="zh-CN")
    await sign_in_as(client, sessions, "engineer@example.com")
    html = await (await client.get("/sandbox/c/rd-efficiency?lang=es")).text()
    assert _html_lang(html) == "zh-CN" and "你的团队" in visible_text(html)


async def test_the_sandbox_switch_is_the_chats_locale_too(client, sessions):
    """A reply in the sandbox speaks what the switch chose, as Slack's locale would; the page around it too."""
    await sign_in_as(client, sessions, "engineer@example.com")
    await client.get("/sandbox/c/rd-efficiency?lang=zh-CN")
    text = visible_text(await (await say(client, "rd-efficiency", "/okr confidence 1 7 vendor signed")).text())
    assert "信心指数 5 → 7 /10" in text and "仅你可见" in text and "发送" in text
    assert "Only visible to you" not in text


async def test_the_sandbox_page_is_spanish_with_its_rituals_and_times(client, sessions):
    await sign_in_as(client, sessions, "director.rd@example.com")
    await say(client, "rd-efficiency", "/okr help")
    text = visible_text(await (await client.get("/sandbox/c/rd-efficiency?lang=es")).text())
    assert "Lanzar un ritual ahora (demo):" in text and "cuatro cuadrantes del lunes" in text
    # the message's time, Wednesday 12:00 in Shanghai (the team's zone), the Spanish way
    assert "mié, 12:00" in text


async def test_key_result_page_writes_dates_and_numbers_in_the_language(client, org_id):
    html = await (await client.get(f"/kr/rd-o1-kr1?org={org_id}&lang=es")).text()
    text = visible_text(html)
    assert "Sobre este resultado clave" in text and "Responsable" in text
    assert "1 oct" in text and "31 dic" in text  # the cycle's first and last day on the chart
    english = visible_text(await (await client.get(f"/kr/rd-o1-kr1?org={org_id}&lang=en")).text())
    assert "Oct 1" in english and "Dec 31" in english


async def test_the_dashboards_percentages_are_the_languages(client, sessions, org_id):
    english = await (await client.get("/?team=rd-efficiency&lang=en")).text()
    spanish = await (await client.get("/?team=rd-efficiency&lang=es")).text()
    shares = re.findall(r"</span></span> (\d+%) ·", english)
    assert shares, "the team page shows no key result's progress"
    assert f"</span></span> {shares[0][:-1]}\xa0% ·" in spanish  # Spanish puts a space before %


async def test_message_pages_speak_the_switch_too(client, org_id):
    response = await client.get("/?team=nope&lang=zh-CN")
    assert response.status == 404
    text = visible_text(await response.text())
    assert "没有这个团队" in text and "nope" in text


async def test_the_demo_sandbox_speaks_chinese_with_a_switch(client, sessions, clock):
    """`make run`: the demo organization (`okrbot demo-data`) is in Chinese, and the switch offers the others."""
    from bot.demo.seed import seed_demo

    with transaction(sessions) as s:
        demo = seed_demo(s, clock.now()).organization_id
    html = await (await client.get(f"/sandbox?switch=1&org={demo}")).text()
    assert _html_lang(html) == "zh-CN" and "okrbot 沙盒" in visible_text(html)
    links = re.findall(r'<a href="([^"]+)" lang="([^"]+)"', html)
    assert [tag for _url, tag in links] == ["en", "zh-CN", "es"]
    english = await (await client.get(links[0][0].replace("&amp;", "&"))).text()
    assert _html_lang(english) == "en" and "okrbot sandbox" in visible_text(english)


async def test_the_sandbox_answers_a_bad_address_in_the_persons_language(client, sessions):
    """The sandbox's short plain-text answers (no channel, no form) speak the person's language too."""
    _set(sessions, Person, Person.email == "engineer@example.com", language="es")
    await sign_in_as(client, sessions, "engineer@example.com")
    response = await say(client, "no-such-team", "hola")
    assert response.status == 404 and await response.text() == "No existe ese canal."
    response = await client.post("/sandbox/forms/999999", data={"x": "1"})
    assert response.status == 404 and await response.text() == "Ese formulario no es tuyo o ya no existe."


async def test_the_advice_page_names_an_objectives_level_in_the_language(client, sessions, org_id):
    _set(sessions, Organization, Organization.id == org_id, language="zh-CN")
    _set(sessions, Objective, Objective.key == "rd-o1", aligns_to_objective_id=None, aligns_to_kr_id=None)
    text = visible_text(await (await client.get("/advice")).text())
    levels = re.findall(r"\((company|department|team|individual)\)", text)
    assert not levels, f"raw levels on the advice page: {levels}"
    assert re.search(r"\((部门|团队|个人)\)", text), text[:2000]
