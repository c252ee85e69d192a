"""API token authentication: django-rest-knox, checking only the token presented.

knox's own `_cleanup_token` loads every token of the user on every request to delete their
expired siblings: one more query per API call (measured in bench/, the list's fifth query).
An expired token is refused on use all the same, and a stored one is only a hash.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.signals import token_expired


class TokenAuthentication(KnoxTokenAuthentication):
    """`Authorization: Token <token>`; an expired token is deleted when presented."""

    def _cleanup_token(self, auth_token) -> bool:
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False


class TokenScheme(KnoxTokenScheme):
    """The OpenAPI security scheme for our subclass (same name as knox's)."""

    target_class = "liaison_offices.authentication.TokenAuthentication"
