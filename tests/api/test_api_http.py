"""The REST API over real HTTP with real tokens, on SQLite and PostgreSQL (adapters.api, bot.api)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.api.tokens import revoke_token
from bot.exporter import export_checkins_csv
from bot.model import KeyResultLine
from storage.db import transaction
from storage.models import ApiToken, CheckIn, KeyResult, Organization
from tests.api.conftest import make_token
from tests.conftest import Chat

BASE = "/api/v1/orgs/{org}"
PROBLEM = "application/problem+json"


def checkins(sessions, code: str, source: str | None = None) -> int:
    query = select(func.count()).select_from(CheckIn).join(KeyResult, KeyResult.id == CheckIn.key_result_id).where(
        KeyResult.key == code)
    if source:
        query = query.where(CheckIn.source == source)
    with sessions() as s:
        return s.scalar(query)


async def problem(response, status: int) -> dict:
    assert response.status == status, await response.text()
    assert response.content_type == PROBLEM
    body = await response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"].startswith("urn:okrbot:")
    return body


async def test_without_a_valid_token_every_call_is_401(api, org_id, sessions):
    ctx, client = api
    path = f"{BASE.format(org=org_id)}/key-results"
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer okr_wrong"}, {"Authorization": "Basic eA=="}):
        response = await client.get(path, headers=headers)
        body = await problem(response, 401)
        assert "okrbot token create" in body["detail"] and response.headers["WWW-Authenticate"].startswith("Bearer")
    # A revoked token stops working at once, and posts nothing.
    secret = make_token(sessions, org_id, "write", "old")
    with transaction(sessions) as s:
        revoke_token(s, s.scalar(select(ApiToken.id).where(ApiToken.name == "old")), ctx.clock.now())
    response = await client.post(f"{path}/rd-o1-kr3/checkins", json={"value": 40},
                                 headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": "k1"})
    await problem(response, 401)
    assert checkins(sessions, "rd-o1-kr3", "api") == 0


async def test_key_results_are_read_and_filtered(api, org_id):
    _ctx, client = api
    path = f"{BASE.format(org=org_id)}/key-results"
    everything = await (await client.get(path)).json()
    codes = [kr["code"] for kr in everything["key_results"]]
    assert "rd-o1-kr3" in codes and "retail-o3-kr1" in codes
    assert not any(code.startswith("liu-") for code in codes)  # individual key results stay private
    team = await (await client.get(path, params={"team": "RD-efficiency"})).json()
    assert {kr["code"] for kr in team["key_results"]} == {"rd-o1-kr1", "rd-o1-kr2", "rd-o1-kr3", "rd-o1-kr4"}
    owner = await (await client.get(path, params={"owner": "engineer@example.com", "cycle": "2026-Q4"})).json()
    assert [kr["code"] for kr in owner["key_results"]] == ["rd-o1-kr3", "rd-o1-kr4"]
    kr = owner["key_results"][0]
    assert kr["team"] == "rd-efficiency" and kr["owner"] == "engineer@example.com" and kr["target"] == 32
    assert kr["cycle"] == "2026-Q4" and kr["colour"] in ("red", "yellow", "green")
    page = await (await client.get(path, params={"limit": "2"})).json()
    assert len(page["key_results"]) == 2 and page["next_offset"] == 2
    rest = await (await client.get(path, params={"limit": "1000", "offset": "2"})).json()
    assert [k["code"] for k in page["key_results"] + rest["key_results"]] == codes and rest["next_offset"] is None


async def test_a_bad_filter_says_which_and_what_is_expected(api, org_id):
    _ctx, client = api
    response = await client.get(f"{BASE.format(org=org_id)}/key-results",
                                params={"team": "nope", "cycle": "1999", "owner": "x@y", "limit": "0"})
    body = await problem(response, 422)
    fields = {e["field"]: e for e in body["errors"]}
    assert set(fields) == {"team", "cycle", "owner", "limit"}
    assert fields["team"] == {"field": "team", "expected": "the key of a team of this organization", "given": "nope"}
    assert "1 to 1000" in fields["limit"]["expected"]


async def test_one_key_result_and_its_history(api, org_id):
    _ctx, client = api
    base = BASE.format(org=org_id)
    kr = await (await client.get(f"{base}/key-results/RD-O1-KR3")).json()
    assert kr["code"] == "rd-o1-kr3" and kr["title"] == "Average delivery time for requests"
    history = await (await client.get(f"{base}/key-results/rd-o1-kr3/checkins")).json()
    assert history["code"] == "rd-o1-kr3" and [c["source"] for c in history["checkins"]] == ["import"]
    for path in ("/key-results/nope", "/key-results/liu-o1-kr1", "/key-results/liu-o1-kr1/checkins"):
        body = await problem(await client.get(base + path), 404)
        assert "individual key results are not served" in body["detail"]


async def test_a_check_in_is_stored_once_per_idempotency_key(api, org_id, sessions):
    ctx, client = api
    path = f"{BASE.format(org=org_id)}/key-results/rd-o1-kr3/checkins"
    body = {"value": 38.5, "confidence": 7, "note": "from the deploy pipeline"}
    first = await client.post(path, json=body, headers={"Idempotency-Key": "run-1"})
    assert first.status == 201, await first.text()
    stored = await first.json()
    assert stored["checkin"] == {"at": ctx.clock.now().isoformat(), "confidence": 7, "value": 38.5,
                                 "note": "from the deploy pipeline", "source": "api", "person": None}
    assert stored["key_result"]["current"] == 38.5 and stored["key_result"]["value_source"] == "api"
    again = await client.post(path, json=body, headers={"Idempotency-Key": "run-1"})
    assert again.status == 201 and await again.json() == stored and again.headers["Idempotent-Replayed"] == "true"
    assert checkins(sessions, "rd-o1-kr3", "api") == 1
    other = await client.post(path, json={**body, "value": 1}, headers={"Idempotency-Key": "run-1"})
    reused = await problem(other, 422)
    assert reused["type"] == "urn:okrbot:problem:idempotency-key-reused"
    assert reused["errors"][0]["field"] == "Idempotency-Key"
    missing = await problem(await client.post(path, json=body), 422)
    assert missing["errors"][0]["field"] == "Idempotency-Key"
    assert checkins(sessions, "rd-o1-kr3", "api") == 1
    with sessions() as s:
        kr = s.scalar(select(KeyResult).where(KeyResult.key == "rd-o1-kr3"))
        assert (kr.current_value, kr.confidence, kr.value_source) == (38.5, 7, "api")
        assert ",api\n" in export_checkins_csv(s, s.get(Organization, org_id))  # the export's source column


async def test_an_api_value_says_where_it_came_from(api, org_id):
    """The Monday four-square (the same card as `okrs`) and the key result's page show the API as the source."""
    ctx, client = api
    path = f"{BASE.format(org=org_id)}/key-results/rd-o1-kr3/checkins"
    assert (await client.post(path, json={"value": 38}, headers={"Idempotency-Key": "v"})).status == 201
    reply = Chat(ctx.core, org_id).say("okrs rd-efficiency")
    [line] = [e for e in reply.card.elements if isinstance(e, KeyResultLine) and e.code == "rd-o1-kr3"]
    assert line.progress == "38 / 32 days (via API)"
    page = await (await client.get("/kr/rd-o1-kr3", headers={"Authorization": ""})).text()
    assert "38 / 32 days (via API)" in page and "<td>api</td>" in page


@pytest.mark.parametrize(("body", "fields"), [
    ({"value": "12"}, {"/value"}),
    ({"value": True, "confidence": 11, "note": 5}, {"/value", "/confidence", "/note"}),
    ({"confidence": 7.5, "colour": "red"}, {"/confidence", "/colour"}),
    ({}, {"/value"}),
    ([1, 2], {""}),
    ({"note": "x" * 501, "value": 1}, {"/note"}),
])
async def test_a_bad_check_in_names_each_field_and_stores_nothing(api, org_id, sessions, body, fields):
    _ctx, client = api
    response = await client.post(f"{BASE.format(org=org_id)}/key-results/rd-o1-kr3/checkins", json=body,
                                 headers={"Idempotency-Key": "bad"})
    problem_body = await problem(response, 422)
    assert {e["field"] for e in problem_body["errors"]} == fields
    assert all(e["expected"] for e in problem_body["errors"])
    assert checkins(sessions, "rd-o1-kr3", "api") == 0


async def test_malformed_json_is_a_problem_not_a_crash(api, org_id):
    _ctx, client = api
    response = await client.post(f"{BASE.format(org=org_id)}/key-results/rd-o1-kr3/checkins", data=b"{value: 1",
                                 headers={"Idempotency-Key": "x", "Content-Type": "application/json"})
    body = await problem(response, 422)
    assert body["errors"][0]["field"] == "" and "JSON object" in body["errors"][0]["expected"]


async def test_another_organizations_data_is_403_and_a_read_token_cannot_write(api, org_id, sessions, clock):
    ctx, client = api
    with transaction(sessions) as s:
        other = Organization(name="Other", timezone="UTC", created_at=clock.now())
        s.add(other)
        s.flush()
        other_id = other.id
    for path in ("/key-results", "/key-results/rd-o1-kr3", "/key-results/rd-o1-kr3/checkins"):
        body = await problem(await client.get(BASE.format(org=other_id) + path), 403)
        assert str(other_id) in body["detail"]
    response = await client.post(f"{BASE.format(org=other_id)}/key-results/rd-o1-kr3/checkins", json={"value": 1},
                                 headers={"Idempotency-Key": "k"})
    await problem(response, 403)
    reader = make_token(sessions, org_id, "read", "dashboard")
    response = await client.post(f"{BASE.format(org=org_id)}/key-results/rd-o1-kr3/checkins", json={"value": 1},
                                 headers={"Idempotency-Key": "k", "Authorization": f"Bearer {reader}"})
    assert "--scope write" in (await problem(response, 403))["detail"]
    read = await client.get(f"{BASE.format(org=org_id)}/key-results", headers={"Authorization": f"Bearer {reader}"})
    assert read.status == 200
    assert checkins(sessions, "rd-o1-kr3", "api") == 0


@pytest.mark.parametrize("api_settings", [{"api_requests_per_minute": 2}])
async def test_over_the_rate_a_token_gets_429_with_retry_after(api, org_id, sessions):
    _ctx, client = api
    path = f"{BASE.format(org=org_id)}/key-results"
    assert [(await client.get(path)).status for _ in range(2)] == [200, 200]
    response = await client.get(path)
    body = await problem(response, 429)
    assert response.headers["Retry-After"] == "30" and "30 seconds" in body["detail"]
    other = make_token(sessions, org_id, "read", "another client")  # the rate is per token
    assert (await client.get(path, headers={"Authorization": f"Bearer {other}"})).status == 200


async def test_no_origin_needed_but_the_host_is_checked(api, org_id, sessions):
    """A program sends no Origin (the web guard's CSRF rule is for cookies); a rebound Host name is refused."""
    _ctx, client = api
    path = f"{BASE.format(org=org_id)}/key-results/rd-o1-kr3/checkins"
    response = await client.post(path, json={"confidence": 6}, headers={"Idempotency-Key": "no-origin"})
    assert response.status == 201
    response = await client.post(path, json={"confidence": 2}, headers={"Idempotency-Key": "rebound",
                                                                         "Host": "attacker.example"})
    body = await problem(response, 421)
    assert "attacker.example" in body["detail"]
    assert checkins(sessions, "rd-o1-kr3", "api") == 1


async def test_unknown_paths_and_methods_answer_problems(api, org_id):
    _ctx, client = api
    await problem(await client.get("/api/v1/nothing"), 404)
    await problem(await client.delete(f"{BASE.format(org=org_id)}/key-results"), 405)
    response = await client.post(f"{BASE.format(org=org_id)}/key-results/rd-o1-kr3/checkins",
                                 data=b"{" + b" " * 70_000 + b"}", headers={"Idempotency-Key": "big"})
    await problem(response, 413)


async def test_last_use_is_recorded(api, org_id, sessions):
    ctx, client = api
    with sessions() as s:
        assert s.scalar(select(ApiToken.last_used_at).where(ApiToken.name == "ci")) is None
    await client.get(f"{BASE.format(org=org_id)}/key-results")
    with sessions() as s:
        used = s.scalar(select(ApiToken.last_used_at).where(ApiToken.name == "ci"))
    assert used is not None and used == ctx.clock.now()


async def test_a_removed_key_result_is_not_listed_and_refuses_a_check_in(api, org_id, sessions):
    """Removed by an honest change: left out of the listing, still readable by its code (with when and why),
    and a posted check-in is a 409 problem saying so; nothing is stored."""
    ctx, client = api
    base = BASE.format(org=org_id)
    listed = await (await client.get(f"{base}/key-results?team=rd-efficiency")).json()
    assert "rd-o1-kr4" in [kr["code"] for kr in listed["key_results"]]
    assert all(kr["removed"] is None for kr in listed["key_results"])
    Chat(ctx.core, org_id).say("change rd-o1-kr4 remove because the vendor dropped the product",
                               actor="director.rd@example.com")
    for query in ("?team=rd-efficiency", "", "?cycle=all"):
        listed = await (await client.get(f"{base}/key-results{query}")).json()
        codes = [kr["code"] for kr in listed["key_results"]]
        assert "rd-o1-kr4" not in codes and "rd-o1-kr3" in codes, (query, codes)
    one = await (await client.get(f"{base}/key-results/rd-o1-kr4")).json()
    assert one["removed"] == {"at": ctx.clock.now().isoformat(), "reason": "the vendor dropped the product"}
    refused = await problem(await client.post(f"{base}/key-results/rd-o1-kr4/checkins", json={"value": 55},
                                              headers={"Idempotency-Key": "removed-1"}), 409)
    assert refused["type"] == "urn:okrbot:problem:key-result-removed"
    assert "rd-o1-kr4 was removed from its objective on" in refused["detail"]
    assert "the vendor dropped the product" in refused["detail"]
    assert checkins(sessions, "rd-o1-kr4", "api") == 0
