"""Request limits on the API: every refusal is problem+json, none is a 500 or an HTML page."""

from __future__ import annotations

import json

import pytest

from cases.models import Message
from glo_act.drf_defaults import json_nesting_exceeds
from tests.api.conftest import API

pytestmark = pytest.mark.django_db


def messages_url(case) -> str:
    return f"{API}/cases/{case.reference}/messages/"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    return body


def test_json_nested_100000_levels_is_a_400_problem_not_a_recursion_error(
    cast, api_client, uk_case
):
    client = api_client(cast.uk)
    deep = '{"body": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = client.post(messages_url(uk_case), data=deep, content_type="application/json")
    body = assert_problem(response, 400)
    assert "nested more than 32 levels" in body["detail"]
    assert not Message.objects.exists()


def test_json_at_the_depth_limit_is_read(cast, api_client, uk_case, settings):
    settings.API_MAX_JSON_DEPTH = 3
    client = api_client(cast.uk)
    # {"body": "...", "extra": [[]]}: three levels, an unknown field the serializer ignores.
    ok = client.post(
        messages_url(uk_case),
        data=json.dumps({"body": "Travel records [[[ attached ]]]", "extra": [[]]}),
        content_type="application/json",
    )
    assert ok.status_code == 201, ok.content
    too_deep = client.post(
        messages_url(uk_case),
        data=json.dumps({"body": "x", "extra": [[[]]]}),
        content_type="application/json",
    )
    assert "nested more than 3 levels" in assert_problem(too_deep, 400)["detail"]
    assert Message.objects.count() == 1


@pytest.mark.parametrize(
    ("text", "deeper_than_two"),
    [
        ("[[]]", False),
        ("[[[]]]", True),
        ('{"a": {"b": {"c": 1}}}', True),
        ('["[[[[", "]]]]{{{{"]', False),  # brackets inside strings do not count
        ('["\\"[[[["]', False),  # nor after an escaped quote
        ("[[], [], [], [], []]", False),  # many brackets, never deep
        ('{"a": [{"b": []}]}', True),  # alternating kinds: four levels
    ],
)
def test_nesting_is_counted_outside_strings(text, deeper_than_two):
    assert json_nesting_exceeds(text, 2) is deeper_than_two


def test_a_5_mb_body_is_a_413_problem_before_it_is_read(cast, api_client, uk_case):
    client = api_client(cast.uk)
    big = json.dumps({"body": "x" * (5 * 1024 * 1024)})
    response = client.post(messages_url(uk_case), data=big, content_type="application/json")
    body = assert_problem(response, 413)
    assert "longer than 1048576 bytes" in body["detail"]
    assert not Message.objects.exists()


def test_the_body_limit_is_a_setting(cast, api_client, uk_case, settings):
    settings.API_MAX_BODY_BYTES = 2048
    client = api_client(cast.uk)
    fits = client.post(messages_url(uk_case), {"body": "y" * 1500}, format="json")
    assert fits.status_code == 201
    over = client.post(messages_url(uk_case), {"body": "y" * 2100}, format="json")
    assert "longer than 2048 bytes" in assert_problem(over, 413)["detail"]


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/xml", "image/png", "application/x-www-form-urlencoded"],
)
def test_a_body_of_another_type_is_a_415_problem(cast, api_client, uk_case, content_type):
    client = api_client(cast.uk)
    response = client.post(messages_url(uk_case), data="body=x", content_type=content_type)
    body = assert_problem(response, 415)
    assert content_type in body["detail"]
    assert not Message.objects.exists()


def test_a_form_is_refused_even_big_not_the_html_400_page(cast, api_client, uk_case, settings):
    """The API reads JSON only: a multipart form (here past Django's in-memory limit too) is a
    415 problem, never Django's HTML 400 page."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    client = api_client(cast.uk)
    response = client.post(messages_url(uk_case), {"body": "z" * 20_000}, format="multipart")
    assert_problem(response, 415)
    assert not Message.objects.exists()


def test_a_bad_content_length_is_a_400_problem(cast, api_client):
    response = api_client(cast.uk).post(
        f"{API}/me/", data="{}", content_type="application/json", CONTENT_LENGTH="lots"
    )
    assert "Content-Length" in assert_problem(response, 400)["detail"]


def test_a_bad_host_on_the_api_is_a_400_problem_not_the_html_page(cast, api_client):
    response = api_client(cast.uk).get(f"{API}/me/", HTTP_HOST="evil.example")
    assert_problem(response, 400)


def test_pages_keep_their_html_400(client):
    response = client.get("/accounts/login/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_a_number_where_the_schema_says_string_is_a_400_naming_the_field(cast, api_client, uk_case):
    """DRF's CharField took `"body": 338` as "338"; the API's text fields take strings only."""
    response = api_client(cast.uk).post(messages_url(uk_case), {"body": 338}, format="json")
    assert assert_problem(response, 400)["errors"] == {"body": ["Must be a string."]}
    assert not Message.objects.exists()
