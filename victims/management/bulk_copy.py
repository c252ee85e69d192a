"""Bulk loading by PostgreSQL `COPY` from model definitions, for `seed_bench`.

Rows are dicts keyed by field attname; any concrete field a row leaves out is written with the
field's default, so a field another app adds later needs no change here.
"""

from __future__ import annotations

import datetime as dt
import io
import json

from django.apps import apps
from django.core.management.base import CommandError
from django.db import connection, models

__all__ = ["copy_rows", "next_id", "optional_model", "reset_sequence", "table_exists"]

_MISSING = object()


def _text(value) -> str:
    """A Python value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = (
            text.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return text


def _prep(field: models.Field, value):
    if isinstance(field, models.JSONField):
        return None if value is None else json.dumps(value)
    if type(field).__module__.startswith("django.") and not isinstance(field, models.DateTimeField):
        return value  # plain columns: the value is already what PostgreSQL reads
    # Our own field types (encrypted fields, …) prepare their value themselves.
    return field.get_db_prep_save(value, connection)


def copy_rows(model: type[models.Model], rows, *, batch: int = 20_000) -> int:
    """COPY dict rows (keyed by attname) into `model`'s table; missing fields get defaults.

    Every concrete field is written, so a field added to a model later is filled from its
    default without touching this command.
    """
    fields = list(model._meta.concrete_fields)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
    defaults = {}
    for f in fields:
        if f.has_default():  # callable defaults (now, list, dict) are taken once per table
            defaults[f.attname] = _text(_prep(f, f.get_default()))
        elif f.null:
            defaults[f.attname] = "\\N"
        elif isinstance(f, models.CharField | models.TextField) and not f.primary_key:
            defaults[f.attname] = ""
        else:
            defaults[f.attname] = _MISSING
    count = 0
    buffer = io.StringIO()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        for row in rows:
            parts = []
            for f in fields:
                value = row.get(f.attname, _MISSING)
                if value is _MISSING:
                    text = defaults[f.attname]
                    if text is _MISSING:
                        raise CommandError(f"{model.__name__}.{f.name} needs a value.")
                else:
                    text = _text(_prep(f, value))
                parts.append(text)
            buffer.write("\t".join(parts))
            buffer.write("\n")
            count += 1
            if count % batch == 0:
                buffer.seek(0)
                raw.copy_expert(sql, buffer)
                buffer = io.StringIO()
        if buffer.tell():
            buffer.seek(0)
            raw.copy_expert(sql, buffer)
    return count


def next_id(model: type[models.Model]) -> int:
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608
        return cursor.fetchone()[0]


def reset_sequence(model: type[models.Model]) -> None:
    table = model._meta.db_table
    quoted = connection.ops.quote_name(table)
    sql = f"SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE(MAX(id), 1)) FROM {quoted}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [table])


def table_exists(model: type[models.Model]) -> bool:
    return model._meta.db_table in connection.introspection.table_names()


def optional_model(label: str) -> type[models.Model] | None:
    """A model that another engineer may not have landed yet (or not migrated)."""
    try:
        model = apps.get_model(label)
    except LookupError:
        return None
    return model if table_exists(model) else None
