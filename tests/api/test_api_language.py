"""The REST API answers its problems in the caller's language: Accept-Language (Babel's negotiation), else the
token's organization's language, else English; the machine-readable parts (type, field names) never change."""

from __future__ import annotations

import pytest

from bot import i18n
from storage.db import transaction
from storage.models import Organization
from tests.api.test_api_http import BASE, problem


def set_language(sessions, org_id: int, language: str | None) -> None:
    with transaction(sessions) as session:
        session.get(Organization, org_id).language = language


async def bad_filter(client, org_id: int, **headers: str) -> tuple[dict, str]:
    response = await client.get(f"{BASE.format(org=org_id)}/key-results", params={"team": "nope", "limit": "0"},
                                headers=headers)
    return await problem(response, 422), response.headers["Content-Language"]


async def test_accept_language_words_the_problem_and_its_fields(api, org_id):
    _ctx, client = api
    english, spoken = await bad_filter(client, org_id)
    assert spoken == "en" and english["title"] == "Invalid request"
    spanish, spoken = await bad_filter(client, org_id, **{"Accept-Language": "es-CL,es;q=0.9,en;q=0.5"})
    assert spoken == "es" and spanish["title"] == "Solicitud no válida"
    fields = {e["field"]: e for e in spanish["errors"]}
    assert fields["team"] == {"field": "team", "expected": "la clave de un equipo de esta organización",
                              "given": "nope"}
    assert fields["limit"]["expected"] == "un número entero de 1 a 1000"
    # The machine-readable parts are the same in every language.
    assert spanish["type"] == english["type"] == "urn:okrbot:problem:invalid-request"
    assert [e["field"] for e in spanish["errors"]] == [e["field"] for e in english["errors"]]


async def test_without_accept_language_the_organizations_language(api, org_id, sessions):
    _ctx, client = api
    set_language(sessions, org_id, "zh-CN")
    chinese, spoken = await bad_filter(client, org_id)
    assert spoken == "zh-CN" and {e["field"]: e["expected"] for e in chinese["errors"]}["team"] == "本组织某个团队的键"
    # A language okrbot does not speak falls through to the organization's; one it speaks wins over it.
    _body, spoken = await bad_filter(client, org_id, **{"Accept-Language": "fr-FR, de;q=0.8"})
    assert spoken == "zh-CN"
    english, spoken = await bad_filter(client, org_id, **{"Accept-Language": "en-US"})
    assert spoken == "en" and english["title"] == "Invalid request"


async def test_a_check_in_problem_and_a_missing_key_result_in_the_callers_language(api, org_id, sessions):
    _ctx, client = api
    set_language(sessions, org_id, "es")
    path = f"{BASE.format(org=org_id)}/key-results/rd-o1-kr3/checkins"
    body = await problem(await client.post(path, json={"confidence": 11, "colour": "red"},
                                           headers={"Idempotency-Key": "k-es"}), 422)
    expected = {e["field"]: e["expected"] for e in body["errors"]}
    assert expected == {"/confidence": "un número entero de 1 a 10",
                        "/colour": "no existe ese campo; los campos son value, confidence, note"}
    missing = await problem(await client.post(path, json={"value": 1}), 422)  # no Idempotency-Key
    assert missing["errors"][0]["field"] == "Idempotency-Key" and "UUID" in missing["errors"][0]["expected"]
    assert "reintento" in missing["errors"][0]["expected"]
    gone = await problem(await client.get(f"{BASE.format(org=org_id)}/key-results/nope",
                                          headers={"Accept-Language": "zh-CN"}), 404)
    assert gone["title"] == "未找到" and "关键结果 `nope`" in gone["detail"]


async def test_before_the_token_is_known_accept_language_else_english(api, org_id, sessions):
    _ctx, client = api
    set_language(sessions, org_id, "zh-CN")
    path = f"{BASE.format(org=org_id)}/key-results"
    english = await problem(await client.get(path, headers={"Authorization": "Bearer okr_wrong"}), 401)
    assert english["title"] == "Missing or invalid API token"
    spanish = await problem(await client.get(path, headers={"Authorization": "Bearer okr_wrong",
                                                            "Accept-Language": "es"}), 401)
    assert spanish["title"] != english["title"] and "okrbot token create" in spanish["detail"]


@pytest.mark.parametrize(("header", "spoken"), [
    ("es-CL,es;q=0.9,en;q=0.8", "es"), ("fr, es;q=0.5", "es"), ("es;q=0, zh-CN;q=0.3", "zh-CN"),
    ("zh", "zh-CN"), ("zh-Hans-CN", "zh-CN"), ("zh-TW", None), ("en-US,es", "en"), ("*", None), ("de", None),
    ("", None), (None, None), ("en;q=oops, es", "es"),
])
def test_negotiation(header, spoken):
    assert i18n.negotiate(header) == spoken
