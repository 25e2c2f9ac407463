"""The emulator's documented HubSpot behaviour, driven through hubspot-api-client."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hubspot import HubSpot
from hubspot.crm.contacts import ApiException
from openapi_requests import spec_dir
from urllib3.util.retry import Retry

from funnelsync.plugins.hubspot.emulator.server import (
    DEFAULT_TOKEN,
    AnswerVariants,
    HubSpotEmulator,
    TrafficConfig,
)


def _client(emulator: HubSpotEmulator, token: str = DEFAULT_TOKEN) -> Any:
    return HubSpot(access_token=token, host=emulator.base_url, retry=Retry(0)).crm.contacts


def _search(emulator: HubSpotEmulator, **request: Any) -> Any:
    body = {"filterGroups": [], "sorts": ["hs_object_id"], "properties": ["email"],
            "limit": 200, "after": "0", **request}  # fmt: skip
    answer = _client(emulator).search_api.do_search(
        public_object_search_request=body, _preload_content=False
    )
    return answer, json.loads(answer.data)


def _refused(call: Any) -> tuple[int, dict[str, Any]]:
    with pytest.raises(ApiException) as error:
        call()
    return error.value.status, json.loads(error.value.body)


def test_search_pages_until_the_cap_then_refuses(make_emulator: Any) -> None:
    emulator = make_emulator(search_cap=400)
    emulator.add_contacts({"email": f"p{i}@example.com"} for i in range(450))
    answer, page = _search(emulator, after="200")
    assert page["total"] == 450 and page["paging"]["next"]["after"] == "400"
    assert "X-HubSpot-RateLimit-Max" not in answer.headers
    status, body = _refused(lambda: _search(emulator, after="400"))
    assert (status, body["category"]) == (400, "VALIDATION_ERROR")
    assert _refused(lambda: _search(emulator, limit=201))[0] == 400


def test_search_accepts_sorts_as_names_or_objects(emulator: HubSpotEmulator) -> None:
    emulator.add_contacts([{"email": "b@example.com"}, {"email": "a@example.com"}])
    by_name = [r["properties"]["email"] for r in _search(emulator, sorts=["email"])[1]["results"]]
    descending = {"propertyName": "email", "direction": "DESCENDING"}
    by_object = [
        r["properties"]["email"] for r in _search(emulator, sorts=[descending])[1]["results"]
    ]
    assert by_name == ["a@example.com", "b@example.com"] == by_object[::-1]
    # HubSpot's docs show sorts as objects, its spec as names: keep the spec check quiet.
    emulator.requests.clear()


def test_batches_are_capped_at_100_and_duplicates_conflict(emulator: HubSpotEmulator) -> None:
    batch = _client(emulator).batch_api
    inputs = [
        {"properties": {"email": f"p{i}@example.com"}, "associations": []} for i in range(101)
    ]
    status, _ = _refused(
        lambda: batch.create(
            batch_input_simple_public_object_batch_input_for_create={"inputs": inputs}
        )
    )
    assert status == 400
    existing = emulator.add_contacts([{"email": "taken@example.com"}])[0]
    status, body = _refused(
        lambda: _client(emulator).basic_api.create(
            simple_public_object_input_for_create={
                "properties": {"email": "TAKEN@example.com"},
                "associations": [],
            }
        )
    )
    assert (status, body["category"]) == (409, "CONFLICT")
    assert body["message"] == f"Contact already exists. Existing ID: {existing}"


def test_responses_carry_rate_limit_headers_and_the_window_answers_429(make_emulator: Any) -> None:
    emulator = make_emulator(traffic=TrafficConfig(ten_second_limit=2, daily_limit=100))
    basic = _client(emulator).basic_api
    answer = basic.get_page(limit=1, _preload_content=False)
    assert answer.headers["X-HubSpot-RateLimit-Max"] == "2"
    assert answer.headers["X-HubSpot-RateLimit-Remaining"] == "1"
    assert answer.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert answer.headers["X-HubSpot-RateLimit-Daily"] == "100"
    assert answer.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "99"
    basic.get_page(limit=1)
    with pytest.raises(ApiException) as error:
        basic.get_page(limit=1)
    assert error.value.status == 429
    assert json.loads(error.value.body)["policyName"] == "TEN_SECONDLY_ROLLING"
    assert int(error.value.headers["Retry-After"]) >= 1


def test_a_bad_token_gets_hubspots_401_body(emulator: HubSpotEmulator) -> None:
    status, body = _refused(lambda: _client(emulator, "wrong").basic_api.get_page(limit=1))
    assert status == 401
    assert body["category"] == "INVALID_AUTHENTICATION"
    assert {"status", "message", "correlationId"} <= set(body)


def test_writes_stamp_lastmodifieddate_and_keep_stages_forward(emulator: HubSpotEmulator) -> None:
    contact = emulator.add_contacts([{"email": "a@example.com", "lifecyclestage": "lead"}])[0]
    emulator.advance_clock(60)
    patch = {"inputs": [{"id": contact, "properties": {"lifecyclestage": "subscriber"}}]}
    status, body = _refused(
        lambda: _client(emulator).batch_api.update(
            batch_input_simple_public_object_batch_input=patch
        )
    )
    assert (status, body["category"]) == (400, "VALIDATION_ERROR")
    assert "INVALID_LIFECYCLE_STAGE" in body["message"]
    for stage in ("", "subscriber"):
        patch["inputs"][0]["properties"]["lifecyclestage"] = stage
        _client(emulator).batch_api.update(batch_input_simple_public_object_batch_input=patch)
    stored = emulator.contact(contact)
    assert stored["lifecyclestage"] == "subscriber"
    assert stored["lastmodifieddate"] == "2024-05-01T09:01:00.000Z"


def test_the_official_specs_are_there_to_check_requests_against() -> None:
    if spec_dir() is None:
        pytest.skip("HubSpot's OpenAPI specs not found: requests are not checked against them")


def test_search_can_stop_at_the_cap_without_paging_next(make_emulator: Any) -> None:
    emulator = make_emulator(search_cap=400, variants=AnswerVariants(search_next_at_cap=False))
    emulator.add_contacts({"email": f"p{i}@example.com"} for i in range(450))
    _, first = _search(emulator)
    assert first["paging"]["next"]["after"] == "200"
    _, last = _search(emulator, after="200")
    assert (last["total"], len(last["results"]), "paging" in last) == (450, 200, False)


def test_search_total_can_differ_from_the_results(make_emulator: Any) -> None:
    emulator = make_emulator(variants=AnswerVariants(search_total_extra=1))
    assert _search(emulator)[1] == {"total": 1, "results": []}


@pytest.mark.parametrize("daily", [True, False])
def test_search_answers_carry_the_daily_headers_only(make_emulator: Any, daily: bool) -> None:
    emulator = make_emulator(variants=AnswerVariants(search_daily_headers=daily))
    emulator.set_daily_used(41)
    headers = {k.lower() for k in _search(emulator)[0].headers}
    limits = {h for h in headers if h.startswith("x-hubspot-ratelimit")}
    expected = {"x-hubspot-ratelimit-daily", "x-hubspot-ratelimit-daily-remaining"}
    assert limits == (expected if daily else set())
    if daily:
        answer = _search(emulator)[0]
        assert answer.headers["X-HubSpot-RateLimit-Daily-Remaining"] == str(1_000_000 - 43)


def test_upsert_results_may_come_without_trace_ids_and_errors_by_key(make_emulator: Any) -> None:
    emulator = make_emulator(variants=AnswerVariants(upsert_trace_ids=False))
    inputs = [
        {"id": "a@example.com", "idProperty": "email", "properties": {"firstname": "A"},
         "objectWriteTraceId": "0"},
        {"id": "b@example.com", "idProperty": "email", "properties": {"hs_lead_status": "X"},
         "objectWriteTraceId": "1"},
        {"id": "c@example.com", "idProperty": "email", "properties": {"firstname": "C"},
         "objectWriteTraceId": "2"},
    ]  # fmt: skip
    answer = _client(emulator).batch_api.upsert(
        batch_input_simple_public_object_batch_input_upsert={"inputs": inputs},
        _preload_content=False,
    )
    body = json.loads(answer.data)
    assert answer.status == 207
    assert [r["properties"]["email"] for r in body["results"]] == ["c@example.com", "a@example.com"]
    assert all("objectWriteTraceId" not in r and r["new"] for r in body["results"])
    [error] = body["errors"]
    assert error["context"] == {"ids": ["b@example.com"]}
    assert error["category"] == "VALIDATION_ERROR"


@pytest.mark.parametrize("shape", ["error_type", "category"])
def test_rate_limit_bodies_in_either_documented_shape(make_emulator: Any, shape: str) -> None:
    variants = AnswerVariants(rate_limit_body=shape)  # type: ignore[arg-type]
    emulator = make_emulator(traffic=TrafficConfig(daily_limit=1), variants=variants)
    _search(emulator)
    status, body = _refused(lambda: _search(emulator))
    assert status == 429 and body["message"] == "You have reached your daily limit."
    if shape == "category":
        assert body["category"] == "RATE_LIMITS" and "policyName" not in body
    else:
        assert (body["errorType"], body["policyName"]) == ("RATE_LIMIT", "DAILY")


def test_a_hung_answer_is_held_then_given(emulator: HubSpotEmulator) -> None:
    emulator.hang_next(1, path="/search", seconds=0.3)
    started = time.monotonic()
    assert _search(emulator)[1]["total"] == 0
    assert time.monotonic() - started >= 0.3
