"""API token authentication: django-rest-knox, checking only the token presented, and reading
the user's access scope in the same query as the token.

knox's own `_cleanup_token` loads every token of the user on every request to delete their
expired siblings: one more query per API call (measured in bench/, the list's fifth query).
An expired token is refused on use all the same, and a stored one is only a hash. Every API
view then needs the user's scope (`access.scope_of`), one more query unless it comes with the
token: here it does (bench/ANALYSIS.md).
"""

from __future__ import annotations

import binascii
import json
from hmac import compare_digest

from django.db import connection
from django.db.models import TextField
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.crypto import hash_token
from knox.models import get_token_model
from knox.settings import CONSTANTS
from knox.signals import token_expired
from rest_framework import exceptions

from liaison_offices import access


class TokenAuthentication(KnoxTokenAuthentication):
    """`Authorization: Token <token>`; an expired token is deleted when presented."""

    def authenticate_credentials(self, token: bytes):
        """As knox's (each stored token with this key is compared by digest, in constant time),
        with the scope of the token's user annotated on the same query."""
        msg = _("Invalid token.")
        token = token.decode("utf-8")
        Token = get_token_model()
        quote = connection.ops.quote_name
        scope_sql, scope_params = access.scope_json_sql(
            f"{quote(Token._meta.db_table)}.{quote(Token._meta.get_field('user').column)}"
        )
        candidates = (
            Token.objects.filter(token_key=token[: CONSTANTS.TOKEN_KEY_LENGTH])
            .select_related("user")
            # Our own SQL, with the codenames as parameters (S611).
            .annotate(scope_rows=RawSQL(scope_sql, scope_params, output_field=TextField()))  # noqa: S611
        )
        for auth_token in candidates:
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(token)
            except (TypeError, binascii.Error) as exc:
                raise exceptions.AuthenticationFailed(msg) from exc
            if compare_digest(digest, auth_token.digest):
                user, auth_token = self.validate_user(auth_token)
                access.remember_scope_rows(user, json.loads(auth_token.scope_rows))
                return user, auth_token
        raise exceptions.AuthenticationFailed(msg)

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
