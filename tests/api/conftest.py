"""API fixtures: a DRF client authenticated with a real (hashed) knox token per cast member."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from liaison_offices.services import api_token_issue


@pytest.fixture
def api_client():
    """`api_client(user)` → an APIClient sending `Authorization: Token <new token>`."""

    def _client(user=None, ttl=dt.timedelta(days=1)):
        client = APIClient()
        if user is not None:
            token, _ = api_token_issue(acting_user=None, user=user, ttl=ttl)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
            client.token = token
        return client

    return _client
