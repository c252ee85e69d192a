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
import functools
import json
from hmac import compare_digest

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.crypto import hash_token
from knox.models import get_token_model
from knox.settings import CONSTANTS
from knox.signals import token_expired
from rest_framework import exceptions

from glo_act.db import execute_prepared
from liaison_offices import access


class TokenAuthentication(KnoxTokenAuthentication):
    """`Authorization: Token <token>`; an expired token is deleted when presented."""

    def authenticate_credentials(self, token: bytes):
        """As knox's (each stored token with this key is compared by digest, in constant time),
        reading the tokens, their user and the user's scope in one statement."""
        msg = _("Invalid token.")
        token = token.decode("utf-8")
        for auth_token, scope_rows in _tokens_with_user_and_scope(
            token[: CONSTANTS.TOKEN_KEY_LENGTH]
        ):
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(token)
            except (TypeError, binascii.Error) as exc:
                raise exceptions.AuthenticationFailed(msg) from exc
            if compare_digest(digest, auth_token.digest):
                user, auth_token = self.validate_user(auth_token)
                access.remember_scope_rows(user, json.loads(scope_rows))
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


@functools.cache
def _token_statement() -> tuple[str, list, list, list]:
    """The SQL that reads the tokens with a key, each joined to its user, with the user's scope
    (`access.scope_json_sql`) as a last column; the token's and the user's fields, in order.

    Built once per process: the statement is the same on every request (the key is its one
    parameter). Through the ORM, building and compiling it cost ~0.7 ms of CPU per API request
    (bench/ANALYSIS.md).
    """
    Token = get_token_model()
    user_fk = Token._meta.get_field("user")
    User = user_fk.related_model
    quote = connection.ops.quote_name
    token_fields, user_fields = list(Token._meta.concrete_fields), list(User._meta.concrete_fields)
    columns = [f"token.{quote(f.column)}" for f in token_fields]
    columns += [f"token_user.{quote(f.column)}" for f in user_fields]
    scope_sql, scope_params = access.scope_json_sql(f"token.{quote(user_fk.column)}")
    # Only our models' table and column names, quoted, and placeholders (S608).
    sql = (
        f"SELECT {', '.join(columns)}, {scope_sql} "  # noqa: S608
        f"FROM {quote(Token._meta.db_table)} token "
        f"JOIN {quote(User._meta.db_table)} token_user "
        f"ON token_user.{quote(User._meta.pk.column)} = token.{quote(user_fk.column)} "
        f"WHERE token.{quote(Token._meta.get_field('token_key').column)} = %s"
    )
    return sql, token_fields, user_fields, scope_params


def _tokens_with_user_and_scope(token_key: str):
    """(token with its user loaded, the user's scope rows as JSON text) per stored token.

    Values pass through the converters the ORM would apply (SQLite returns datetimes as text).
    """
    sql, token_fields, user_fields, scope_params = _token_statement()
    with connection.cursor() as cursor:
        execute_prepared(cursor, "glo_act_api_token", sql, [*scope_params, token_key])
        rows = cursor.fetchall()
    if not rows:
        return
    fields = [*token_fields, *user_fields]
    converters = []
    for position, field in enumerate(fields):
        col = field.get_col(field.model._meta.db_table)
        found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if found:
            converters.append((position, found, col))
    split = len(token_fields)
    for raw in rows:
        row = list(raw)
        for position, found, col in converters:
            for convert in found:
                row[position] = convert(row[position], col, connection)
        token = token_fields[0].model.from_db(
            connection.alias, [f.attname for f in token_fields], row[:split]
        )
        token.user = user_fields[0].model.from_db(
            connection.alias, [f.attname for f in user_fields], row[split : len(fields)]
        )
        yield token, row[-1]
