"""Trigram indexes for case search (`CaseQuerySet.search`), on PostgreSQL.

`icontains` compiles to `UPPER(column::text) LIKE UPPER(%s)`, so each index is on that same
expression, with pg_trgm's operator class: a search for three characters or more reads the
index instead of every row. SQLite (the demo's database) has neither and scans.
"""

from django.db import migrations

INDEXES = [
    ("case_search_reference", "cases_case", "reference"),
    ("case_search_title", "cases_case", "title"),
    ("case_search_summary", "cases_case", "summary"),
    ("suspect_search_name", "cases_suspect", "name"),
    ("routeleg_search_place", "cases_routeleg", "place"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f"USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("cases", "0005_grant_case_updated_at")]

    operations = [migrations.RunPython(create, drop)]
