"""Statements prepared once per PostgreSQL connection: the hand-written ones every request
runs (the API token with its scope; a page's access scope), and the page query of the API's
case list (`prepared_values`).

PostgreSQL plans a statement each time it is sent. These are the same text on every request
(only their parameters change), and planning them costs more CPU than running them
(bench/ANALYSIS.md). Prepared, they are planned once per connection. Prepared statements
outlive transactions and last as long as the connection; a new connection prepares them again.
A pooler in transaction mode (e.g. PgBouncer) does not keep them: connect to PostgreSQL
directly, as docker-compose.yml does.
"""

from __future__ import annotations

import hashlib
import weakref

from django.core.exceptions import EmptyResultSet
from django.db import connection as default_connection
from django.db.models.query import ValuesIterable

# The raw DB-API connections and the names prepared on each, oldest first.
_prepared_on: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# Statements named by their text (`prepared_values`) come in as many shapes as the queries
# that use them; each connection keeps at most this many, forgetting the least recently run.
PREPARED_PER_CONNECTION = 64


def execute_prepared(cursor, name: str, sql: str, params: list) -> None:
    """Run `sql` (placeholders `%s` only, no other `%`) as the prepared statement `name` of the
    cursor's connection; plainly on a database other than PostgreSQL."""
    connection = cursor.db
    if connection.vendor != "postgresql":
        cursor.execute(sql, params)
        return
    connection.ensure_connection()
    prepared = _prepared_on.setdefault(connection.connection, {})
    if name in prepared:
        prepared[name] = prepared.pop(name)  # now the most recently run
    else:
        pieces = sql.split("%s")
        if len(pieces) != len(params) + 1 or "%" in "".join(pieces):
            raise ValueError(f"{name}: one %s placeholder per parameter, and no other %.")
        numbered = "".join(f"{piece}${n}" for n, piece in enumerate(pieces[:-1], 1))
        # Connection set-up, like the SET statements Django sends on connecting: on the raw
        # connection, so that query counts stay those of the request, whichever request
        # happens to be the connection's first.
        with connection.connection.cursor() as raw:
            while len(prepared) >= PREPARED_PER_CONNECTION:
                raw.execute(f"DEALLOCATE {prepared.pop(next(iter(prepared)))}")
            raw.execute(f"PREPARE {name} AS {numbered}{pieces[-1]}")
        prepared[name] = name
    arguments = f"({', '.join(['%s'] * len(params))})" if params else ""
    cursor.execute(f"EXECUTE {name}{arguments}", params or None)


def prepared_values(queryset) -> list[dict]:
    """The rows of a `values()` queryset, as `list(queryset)` gives them, its statement
    prepared on the connection under a name taken from its text: for a list every request
    reads, whose SQL is the same for every user of one shape of scope (only the parameters
    change), so that PostgreSQL plans it once per connection, not on every request. Any other
    queryset, a statement `execute_prepared` refuses, or another database: plainly."""
    connection = default_connection
    plain = (
        connection.vendor != "postgresql"
        or queryset.db != connection.alias
        or queryset._iterable_class is not ValuesIterable
    )
    if plain:
        return list(queryset)
    query = queryset.query
    compiler = query.get_compiler(queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:  # nothing can match: the queryset answers without the database
        return list(queryset)
    if "%" in sql.replace("%s", ""):
        return list(queryset)
    name = "glo_act_q_" + hashlib.blake2b(sql.encode(), digest_size=10).hexdigest()
    with connection.cursor() as cursor:
        execute_prepared(cursor, name, sql, list(params))
        rows = cursor.fetchall()
    if compiler.has_extra_select:
        rows = [row[: compiler.col_count] for row in rows]
    # The row's names as ValuesIterable reads them.
    if query.selected:
        names = list(query.selected)
    else:
        names = [*query.extra_select, *query.values_select, *query.annotation_select]
    return [dict(zip(names, row, strict=True)) for row in compiler.results_iter([rows])]


def prepared_statement_sql(name: str) -> str | None:
    """The text of the statement prepared as `name` on this connection (for EXPLAIN)."""
    with default_connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name = %s", [name])
        row = cursor.fetchone()
    return row[0] if row else None


# --- Advisory locks (PostgreSQL) ----------------------------------------------------------------
# Each lock is a pair (namespace, key) of 32-bit integers: the namespace says what is locked
# (ADVISORY_* below), the key which one (e.g. a partner's id; 0 for "the only one").
ADVISORY_WEBHOOK_PARTNER = 1601  # claiming a partner's webhook delivery under its bound
ADVISORY_SWEEP = 1602  # one sweep at a time, whatever the number of queued sweeps


def advisory_xact_lock(namespace: int, key: int) -> None:
    """Wait for the lock (namespace, key) until the current transaction ends; nothing on a
    database other than PostgreSQL (the development SQLite has one writer anyway)."""
    connection = default_connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [namespace, key])


def try_advisory_xact_lock(namespace: int, key: int) -> bool:
    """Take the lock (namespace, key) until the current transaction ends, if nobody holds it;
    False (at once) if somebody does. Always True on a database other than PostgreSQL."""
    connection = default_connection
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [namespace, key])
        return bool(cursor.fetchone()[0])
