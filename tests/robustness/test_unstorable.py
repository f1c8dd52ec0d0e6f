"""NUL bytes and lone surrogates cannot be stored (PostgreSQL refuses NUL in text; neither database's
driver encodes a surrogate): they are stripped where chat input becomes an Interaction and refused with
a friendly page where a URL or form reaches the web routes, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from storage.models import CheckIn, Priority, Win
from tests.conftest import card_text
from tests.sandbox.conftest import sign_in_as, visible_text

BAD = ["\x00", "\ud800"]
APOLOGY = "something went wrong"
FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize("bad", BAD)
def test_commands_with_unstorable_characters_work_without_them(chat, sessions, bad):
    for text in (f"confidence rd-o1-kr3 6 vendor{bad} signed", f"priority add P1 ship{bad} the API",
                 f"win shipped{bad} it", f"mine{bad}", f"okrs rd-efficiency{bad}", f"health On-call load{bad} red",
                 f"bind rd-efficiency{bad}", f"{bad}", f"team rd{bad}"):
        reply = chat.say(text, actor="director.rd@example.com", conversation=f"rd-efficiency{bad}")
        assert APOLOGY not in card_text(reply).lower(), (text, card_text(reply))
    with sessions() as s:
        assert s.scalar(select(CheckIn.note).where(CheckIn.note.is_not(None)).order_by(CheckIn.id.desc())) \
            == "vendor signed"
        assert s.scalar(select(Priority.text).order_by(Priority.id.desc())) == "ship the API"


@pytest.mark.parametrize("bad", BAD)
def test_forms_with_unstorable_characters(chat, sessions, bad):
    for name in ("win", f"win{bad}", f"checkin{bad}", f"priorities{bad}"):
        reply = chat.submit(name, {"text": f"a{bad}b", f"x{bad}": bad}, metadata=f"rd-efficiency{bad}",
                            actor="director.rd@example.com")
        assert APOLOGY not in card_text(reply).lower(), (name, card_text(reply))
    reply = chat.click(f"checkin{bad}", value=f"1{bad}", actor="director.rd@example.com")
    assert APOLOGY not in card_text(reply).lower()


WEB_GETS = ["/?team={bad}", "/?cycle={bad}", "/?team=rd-efficiency&cycle={bad}", "/advice?cycle={bad}",
            "/sandbox?x={bad}", "/sandbox/c/rd-efficiency{bad}", "/sandbox/c/dm{bad}", "/signin?token={bad}",
            "/{bad}"]


@pytest.mark.parametrize("bad", ["%00", "%ED%A0%80"])
async def test_web_routes_never_fail_on_unstorable_characters(app, sessions, bad):
    ctx, client = app
    await sign_in_as(client, sessions, "director.rd@example.com")
    for path in WEB_GETS:
        response = await client.get(path.format(bad=bad), allow_redirects=False)
        body = await response.text()
        assert response.status < 500, (path, response.status, body[:300])
        if bad == "%00":
            assert response.status == 400 and "cannot store" in visible_text(body), (path, body[:300])


POSTS = [("/sandbox/c/rd-efficiency/messages", {"text": "/okr win a{bad}b"}),
         ("/sandbox/as", {"person": "1{bad}"}),
         ("/sandbox/c/rd-efficiency/actions", {"action": "checkin{bad}", "value": "{bad}"}),
         ("/sandbox/c/rd-efficiency/rituals", {"ritual": "monday{bad}"}),
         ("/sandbox/c/rd-efficiency/threads/1", {"text": "a{bad}"}),
         ("/sandbox/forms/1", {"text{bad}": "a"}),
         ("/signout", {"x": "{bad}"})]


async def test_web_forms_with_a_nul_are_refused_kindly_and_change_nothing(app, sessions):
    """(A browser's form can carry no lone surrogate: its bytes are not UTF-8, and aiohttp decodes them to U+FFFD.)"""
    bad = "\x00"
    ctx, client = app
    await sign_in_as(client, sessions, "director.rd@example.com")
    for path, data in POSTS:
        form = urlencode({key.format(bad=bad): value.format(bad=bad) for key, value in data.items()})
        response = await client.post(path, data=form.encode(), allow_redirects=False, headers={"Content-Type": FORM})
        body = await response.text()
        assert response.status == 400 and "cannot store" in visible_text(body), (path, response.status, body[:300])
    with sessions() as s:
        assert s.scalar(select(Win.id)) is None
    # the same forms without the character still work
    response = await client.post("/sandbox/c/rd-efficiency/messages", data={"text": "/okr win ab"},
                                 allow_redirects=False)
    assert response.status == 303


async def test_slack_input_with_unstorable_characters(everything, sessions):
    """A slash command is form-encoded (a NUL arrives); a button's JSON payload can carry a lone surrogate."""
    slack = everything.slack
    status, body = await slack.command("confidence 1 7 vendor\x00 signed\x00", channel="C0RDEFF\x00")
    assert status == 200 and "Confidence 5 → *7*/10" in body["text"], body
    with sessions() as s:
        assert s.scalar(select(CheckIn.note).where(CheckIn.source != "import")) == "vendor signed"
    status, body = await slack.click("checkin\ud800", value="1\ud800")
    assert status == 200 and APOLOGY not in str(body).lower()
