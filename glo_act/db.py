"""Statements prepared once per PostgreSQL connection, for the few hand-written ones every
request runs (the API token with its scope; a page's access scope).

PostgreSQL plans a statement each time it is sent. These are the same text on every request
(only their parameters change), and their planning cost more CPU than running them: ~1.1 ms
for the API token statement, ~1.0 ms for the scope query (bench/ANALYSIS.md). Prepared, they
are planned once per connection. Prepared statements outlive transactions and last as long as
the connection; a new connection prepares them again. A pooler in transaction mode (e.g.
PgBouncer) does not keep them: connect to PostgreSQL directly, as docker-compose.yml does.
"""

from __future__ import annotations

import weakref

from django.db import connection as default_connection

# The raw DB-API connections and the names prepared on each.
_prepared_on: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def execute_prepared(cursor, name: str, sql: str, params: list) -> None:
    """Run `sql` (placeholders `%s` only, no other `%`) as the prepared statement `name` of the
    cursor's connection; plainly on a database other than PostgreSQL."""
    connection = cursor.db
    if connection.vendor != "postgresql":
        cursor.execute(sql, params)
        return
    connection.ensure_connection()
    prepared = _prepared_on.setdefault(connection.connection, set())
    if name not in prepared:
        pieces = sql.split("%s")
        if len(pieces) != len(params) + 1 or "%" in "".join(pieces):
            raise ValueError(f"{name}: one %s placeholder per parameter, and no other %.")
        numbered = "".join(f"{piece}${n}" for n, piece in enumerate(pieces[:-1], 1))
        # Connection set-up, like the SET statements Django sends on connecting: on the raw
        # connection, so that query counts stay those of the request, whichever request
        # happens to be the connection's first.
        with connection.connection.cursor() as raw:
            raw.execute(f"PREPARE {name} AS {numbered}{pieces[-1]}")
        prepared.add(name)
    arguments = f"({', '.join(['%s'] * len(params))})" if params else ""
    cursor.execute(f"EXECUTE {name}{arguments}", params or None)


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
