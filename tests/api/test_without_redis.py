"""The API keeps serving while Redis is down: the throttle lets requests through, says so once
in the log, and counts again once Redis is back. Redis here is the test's own redis-server,
stopped and started again; the shared one is never touched."""

from __future__ import annotations

import logging

import pytest

from cases.models import Message
from glo_act import drf_defaults
from tests.api.conftest import API
from tests.faults import OwnRedis

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_redis(tmp_path, settings):
    redis_for = drf_defaults._redis_for  # the cached clients, whatever a test patches
    server = OwnRedis(tmp_path).start()
    settings.REDIS_URL = server.url
    drf_defaults._fail_open_until.clear()
    yield server
    server.stop()
    drf_defaults._fail_open_until.clear()
    redis_for.cache_clear()


def window_count(server: OwnRedis) -> int:
    import redis

    client = redis.Redis.from_url(server.url)
    return sum(int(client.get(key)) for key in client.scan_iter("throttle_token_*"))


def test_the_api_answers_get_and_post_while_its_redis_is_down(
    cast, api_client, uk_case, own_redis, caplog
):
    client = api_client(cast.uk)
    assert client.get(f"{API}/me/").status_code == 200
    assert window_count(own_redis) == 1  # counted in the test's own Redis

    own_redis.stop()
    with caplog.at_level(logging.WARNING, logger="glo_act.drf_defaults"):
        me = client.get(f"{API}/me/")
        post = client.post(
            f"{API}/cases/{uk_case.reference}/messages/", {"body": "Any news?"}, format="json"
        )
        again = client.get(f"{API}/me/")
    assert me.status_code == 200
    assert post.status_code == 201
    assert again.status_code == 200
    assert Message.objects.filter(body="Any news?").count() == 1
    lines = [r.getMessage() for r in caplog.records if r.name == "glo_act.drf_defaults"]
    # One line for the outage, not one per request; no token, user or address in it.
    assert lines == [
        "API throttle off for 5 s: Redis is unreachable (ConnectionError); requests pass uncounted."
    ]
    assert client.token[:8] not in lines[0] and cast.uk.username not in lines[0]

    # Redis back on the same port: once the pause is over, requests are counted again.
    own_redis.start()
    assert client.get(f"{API}/me/").status_code == 200
    assert window_count(own_redis) == 0  # still within the pause: let through uncounted
    drf_defaults._fail_open_until.clear()  # the pause is over
    assert client.get(f"{API}/me/").status_code == 200
    assert window_count(own_redis) == 1


def test_the_throttle_asks_a_down_redis_again_only_after_the_pause(own_redis, monkeypatch):
    calls = []
    own_redis.stop()
    original = drf_defaults._redis_for

    def counting(url):
        calls.append(url)
        return original(url)

    monkeypatch.setattr(drf_defaults, "_redis_for", counting)
    for _ in range(5):
        assert drf_defaults._count_in_window("throttle_token_x", 60) == (0, 60)
    assert len(calls) == 1  # the first request found it down; the next four did not ask
    drf_defaults._fail_open_until.clear()  # the pause is over
    drf_defaults._count_in_window("throttle_token_x", 60)
    assert len(calls) == 2
