"""A double click sends a sandbox form twice at once: it is saved once, and the second POST is told so."""

from __future__ import annotations

import asyncio
import re

from sqlalchemy import select

from storage.models import CheckIn, KeyResult, SandboxMessage
from tests.sandbox.conftest import say, sign_in_as, visible_text


async def test_two_posts_of_one_form_at_once_save_one_check_in(client, sessions):
    await sign_in_as(client, sessions, "engineer@example.com")
    await say(client, "rd-efficiency", "/okr mine")
    with sessions() as s:
        card = s.scalar(select(SandboxMessage).where(SandboxMessage.card.is_not(None))
                        .order_by(SandboxMessage.id.desc()))
    opened = await client.post("/sandbox/c/rd-efficiency/actions",
                               data={"action_id": "checkin_open", "value": "", "message_id": str(card.id)})
    html = await opened.text()
    action = re.search(r'<form method="post" action="(/sandbox/forms/\d+)"', html).group(1)
    field = re.search(r'name="(confidence:\d+)"', html).group(1)

    first, second = await asyncio.gather(client.post(action, data={field: "8"}), client.post(action, data={field: "8"}))
    texts = [visible_text(await r.text()) for r in (first, second)]
    assert sum("already sent" in t for t in texts) == 1, texts
    with sessions() as s:
        kr = s.scalar(select(KeyResult).where(KeyResult.key == "rd-o1-kr3"))
        assert [c.confidence for c in s.scalars(select(CheckIn).where(
            CheckIn.key_result_id == kr.id, CheckIn.source == "sandbox"))] == [8]
