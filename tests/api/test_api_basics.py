"""Tokens, `me/`, problem+json errors, throttling: the API's common behaviour."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection

from tests.two_factor import authenticator_of, code_for, current_code

API = "/api/v1"


@pytest.mark.django_db
def test_tokens_are_stored_only_as_hashes(cast, api_client):
    client = api_client(cast.focal_point)
    with connection.cursor() as cursor:
        cursor.execute("SELECT digest, token_key FROM knox_authtoken")
        rows = cursor.fetchall()
    assert rows, "a token row exists"
    for digest, token_key in rows:
        assert client.token not in digest
        assert digest != client.token
        assert len(token_key) < len(client.token)  # only a short lookup prefix is kept


@pytest.mark.django_db
def test_me_says_who_i_am_and_for_whom_i_act(cast, api_client):
    response = api_client(cast.focal_point).get(f"{API}/me/")
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == cast.focal_point.username
    assert [p["name"] for p in body["partners"]] == ["British High Commission"]
    assert body["desks"] == []
    assert body["is_hq"] is False
    assert body["token_expires_at"] is not None


@pytest.mark.django_db
def test_an_officer_sees_their_desk_in_me(cast, api_client):
    body = api_client(cast.uk).get(f"{API}/me/").json()
    assert [d["code"] for d in body["desks"]] == ["GBR"]


@pytest.mark.django_db
def test_an_expired_token_is_refused_with_401_problem(cast, api_client):
    client = api_client(cast.focal_point, ttl=dt.timedelta(seconds=-1))
    response = client.get(f"{API}/me/")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["status"] == 401


@pytest.mark.django_db
def test_no_credentials_is_401_problem(api_client):
    response = api_client().get(f"{API}/me/")
    assert response.status_code == 401
    assert response.json()["title"] == "Authentication required"


@pytest.mark.django_db
def test_an_unknown_endpoint_answers_a_json_404(cast, api_client):
    response = api_client(cast.uk).get(f"{API}/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")


@pytest.mark.django_db
@pytest.mark.parametrize("counted_in", ["redis", "django_cache"])
def test_a_token_is_throttled_with_retry_after(cast, api_client, settings, counted_in):
    from django.core.cache import cache

    from glo_act import drf_defaults
    from glo_act.api import TokenRateThrottle

    if counted_in == "django_cache":  # development, where no Redis is configured
        settings.REDIS_URL = None
    drf_defaults._redis_for.cache_clear()
    cache.clear()
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "token": "3/min"}
    # The rate is read into a class attribute at import: set it there, and put back the one
    # that was there (not whatever the overridden settings say) so later tests are not throttled.
    original = TokenRateThrottle.THROTTLE_RATES
    TokenRateThrottle.THROTTLE_RATES = rates
    try:
        client = api_client(cast.focal_point)
        codes = [client.get(f"{API}/me/").status_code for _ in range(4)]
        last = client.get(f"{API}/me/")
        other_token = api_client(cast.provider).get(f"{API}/me/")
    finally:
        TokenRateThrottle.THROTTLE_RATES = original
        drf_defaults._redis_for.cache_clear()
        cache.clear()
    assert codes[:3] == [200, 200, 200]
    assert codes[3] == last.status_code == 429
    assert 0 < int(last["Retry-After"]) <= 60
    assert last.json()["status"] == 429
    assert other_token.status_code == 200  # each token has its own window


@pytest.mark.django_db
def test_issue_api_token_prints_a_working_token(cast, capsys):
    code = current_code(cast.provider)
    call_command("issue_api_token", cast.provider.username, "--ttl", "7", "--code", code)
    token = capsys.readouterr().out.strip()
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(f"{API}/me/").json()["username"] == cast.provider.username


@pytest.mark.django_db
def test_issue_api_token_names_what_is_wrong(cast):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("issue_api_token", "nobody")
    with pytest.raises(CommandError, match="--ttl must be between"):
        call_command("issue_api_token", cast.uk.username, "--ttl", "0")


@pytest.mark.django_db
def test_issue_api_token_needs_the_users_second_factor(cast, capsys, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # a wrong code does not make the next one wait
    from django.core.management.base import CommandError
    from knox.models import AuthToken

    with pytest.raises(CommandError, match="has no second factor yet"):
        call_command("issue_api_token", cast.focal_point.username, "--code", "123456")
    device = authenticator_of(cast.focal_point)
    with pytest.raises(CommandError, match=r"Give a code .*--code"):
        call_command("issue_api_token", cast.focal_point.username)
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    with pytest.raises(CommandError, match="That code is not right"):
        call_command("issue_api_token", cast.focal_point.username, "--code", wrong)
    assert not AuthToken.objects.filter(user=cast.focal_point).exists()

    good = code_for(device)
    call_command("issue_api_token", cast.focal_point.username, "--code", good)
    assert AuthToken.objects.filter(user=cast.focal_point).count() == 1
    # The same code again is a replay: refused.
    with pytest.raises(CommandError, match="already used"):
        call_command("issue_api_token", cast.focal_point.username, "--code", good)
    assert AuthToken.objects.filter(user=cast.focal_point).count() == 1


@pytest.mark.django_db
def test_schema_and_docs_are_served(cast, api_client):
    client = api_client(cast.focal_point)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/me/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    assert b"cdn" not in docs.content.lower()  # served from drf-spectacular-sidecar, offline


@pytest.mark.django_db
def test_every_operation_is_documented_with_its_errors(cast, api_client):
    schema = api_client(cast.focal_point).get("/api/schema/?format=json").json()
    assert "H2 no onward dissemination" in schema["info"]["description"]
    operations = [
        (path, method, op) for path, item in schema["paths"].items() for method, op in item.items()
    ]
    assert len(operations) == 37  # 33, and the four of /files/
    for path, method, op in operations:
        where = f"{method.upper()} {path}"
        assert op.get("summary"), where
        assert op.get("description"), where
        assert "visible_to" not in op["description"], where  # a code docstring leaked in
        for code in ("401", "429"):
            content = op["responses"][code]["content"]
            assert list(content) == ["application/problem+json"], where
            assert content["application/problem+json"]["schema"]["$ref"].endswith("/Problem")
        assert "Retry-After" in op["responses"]["429"]["headers"], where
        if "{" in path:
            assert "404" in op["responses"], where
        if method in ("post", "patch") and path != "/api/v1/notifications/read-all/":
            assert "400" in op["responses"] or "/read/" in path, where


@pytest.mark.django_db
def test_a_malformed_or_foreign_body_is_a_4xx_problem_not_a_500(cast, api_client, uk_case):
    client = api_client(cast.uk)
    url = f"{API}/cases/{uk_case.reference}/messages/"
    broken = client.post(url, data='{"unclosed": ', content_type="application/json")
    assert broken.status_code == 400
    assert broken["Content-Type"].startswith("application/problem+json")
    foreign = client.post(url, data="<xml/>", content_type="application/xml")
    assert foreign.status_code == 415
    assert foreign.json()["status"] == 415
    assert client.delete(f"{API}/me/").status_code == 405


@pytest.mark.django_db
def test_the_scope_read_with_the_token_is_the_users_scope(cast, api_client):
    """API authentication reads the user's scope in the token's query: it must be exactly the
    scope `scope_of` computes, for officers, a focal point, a provider, HQ and an extra grant."""
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIRequestFactory

    from liaison_offices import access
    from liaison_offices.authentication import TokenAuthentication

    for user in (cast.uk, cast.italy, cast.focal_point, cast.provider, cast.hq):
        client = api_client(user)
        request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Token {client.token}")
        authenticated, _ = TokenAuthentication().authenticate(request)
        fresh = get_user_model().objects.get(pk=user.pk)
        assert access.scope_of(authenticated) == access._compute_scope(fresh), user


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_token_statement_is_prepared_once_per_connection_and_again_after_a_reconnect(
    cast, api_client
):
    from django.test.utils import CaptureQueriesContext

    client = api_client(cast.focal_point)

    def prepared_here() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE name = 'glo_act_api_token'"
            )
            return cursor.fetchone()[0]

    for _ in range(2):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"{API}/me/").status_code == 200
        # Prepared as connection set-up (not counted as the request's); executed each time.
        assert "EXECUTE glo_act_api_token" in queries[0]["sql"]
        assert prepared_here() == 1
    connection.close()  # a new connection knows no prepared statement: it prepares again
    assert client.get(f"{API}/me/").status_code == 200
    assert prepared_here() == 1
    assert api_client(cast.uk).get(f"{API}/me/").json()["username"] == cast.uk.username


@pytest.mark.redis
def test_a_throttle_window_always_ends():
    """If a window expires between its SET and INCR, INCR opens a key without an expiry: it is
    given one, or the token would stay throttled for good."""
    from glo_act import drf_defaults

    drf_defaults._redis_for.cache_clear()
    client = drf_defaults._redis()
    key = "throttle_test_window_without_expiry"
    client.set(key, 5)  # the state that race leaves: a count, no expiry
    try:
        count, seconds_left = drf_defaults._count_in_window(key, 60)
        assert (count, seconds_left) == (6, 60)
        assert 0 < client.ttl(key) <= 60
        count, seconds_left = drf_defaults._count_in_window(key, 60)
        assert count == 7 and 0 < seconds_left <= 60
    finally:
        client.delete(key)
