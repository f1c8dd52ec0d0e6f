"""Teams sends the client's locale on every activity: a person whose Teams is in Chilean Spanish gets Spanish
replies in an organization whose default is English."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Organization, PlatformAccount


async def test_a_person_with_locale_es_cl_gets_spanish_replies_in_an_english_organization(teams, sessions):
    with sessions() as s:
        assert s.scalar(select(Organization.language)) is None
    response = await teams.post(teams.message("language", locale="es-CL"))
    assert response.status in (200, 201)
    await teams.post(teams.message("language fr", locale="es-CL"))
    first, refused = teams.connector.of("reply")
    assert "Te hablo en **Español** (`es-CL`) porque tu aplicación de chat está configurada en `es-CL`." in first.text
    assert "Todavía no hablo `fr`" in refused.text
    with sessions() as s:
        assert s.scalar(select(PlatformAccount.locale).where(PlatformAccount.platform == "teams")) == "es-CL"


async def test_the_locale_teams_sends_follows_the_person(teams):
    await teams.post(teams.message("language", locale="es-CL"))
    await teams.post(teams.message("language", locale="en-US"))
    spanish, english = teams.connector.of("reply")
    assert "Te hablo en" in spanish.text
    assert "I speak **English** (`en-US`) to you, because your chat app is set to `en-US`." in english.text
