"""The sandbox's routes answer ids out of range, non-ASCII digits and unreadable forms with a 4xx, never a 500."""

from __future__ import annotations

import pytest

from tests.sandbox.conftest import sign_in_as

BAD_IDS = ["99999999999999999999", "2147483648", "²", "١٢"]  # past a 32-bit column; digits str.isdigit accepts


@pytest.mark.parametrize("raw", BAD_IDS)
async def test_picking_a_person_by_a_bad_id_goes_back_to_the_picker(everything, raw):
    response = await everything.client.post("/sandbox/as", data={"person": raw}, allow_redirects=False)
    assert response.status == 303


@pytest.mark.parametrize("raw", BAD_IDS)
@pytest.mark.parametrize("path", ["/sandbox/c/dm/actions", "/sandbox/c/dm/threads/{id}", "/sandbox/forms/{id}"])
async def test_a_bad_message_id_is_a_404(everything, raw, path):
    await sign_in_as(everything.client, everything.ctx.sessions, "engineer@example.com")
    response = await everything.client.post(path.format(id=raw), data={"message_id": raw, "text": "hi"},
                                            allow_redirects=False)
    assert response.status == 404, await response.text()


@pytest.mark.parametrize("raw", BAD_IDS)
async def test_a_bad_form_id_in_the_query_shows_the_channel(everything, raw):
    await sign_in_as(everything.client, everything.ctx.sessions, "engineer@example.com")
    response = await everything.client.get("/sandbox/c/dm", params={"form": raw})
    assert response.status == 200


async def test_an_unreadable_form_body_is_a_400(everything):
    await sign_in_as(everything.client, everything.ctx.sessions, "engineer@example.com")
    response = await everything.client.post("/sandbox/c/dm/messages", data=b"garbage",
                                            headers={"Content-Type": "multipart/form-data; boundary=x"},
                                            allow_redirects=False)
    assert response.status == 400
    assert "Traceback" not in await response.text()
