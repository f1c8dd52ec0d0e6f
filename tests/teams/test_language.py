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


async def test_a_flagged_line_speaks_the_reply_language_too(teams, clock):
    """The words the Teams renderer adds to a key result line (a drop's "since last week", a flag's "dropped by 2
    or more", the objective's level) are drawn after the core has answered: they speak the card's language
    (regression: they were English under a Spanish reply)."""
    await teams.say("confidence 1 9", locale="es-CL")
    clock.advance(days=7)
    await teams.say("confidence 1 2 proveedor retrasado", locale="es-CL")
    drop = teams.connector.of("reply")[-1].text
    assert "desde la semana pasada" in drop and "bajó 2 o más" in drop, drop
    assert "since last week" not in drop and "or more" not in drop
