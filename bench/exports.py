#!/usr/bin/env python
"""Export writers at scale: rows/s and peak memory of the CSV and XLSX writers of
`cases.exports`, for 10,000 and 100,000 rows shaped like a case export's.

    DEBUG=1 .venv/bin/python bench/exports.py

The rows are generated, not read: the database side is a server-side cursor read in chunks
of `cases.exports.CHUNK` rows, whose memory does not depend on the number of rows either.
Peak memory is what `tracemalloc` saw allocated during the export (Python objects), so the
writers' own footprint is measured and the interpreter's baseline is not.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "glo_act.settings")

import django  # noqa: E402

django.setup()

from cases import exports  # noqa: E402


def rows(count: int):
    for i in range(count):
        yield [
            f"GBR-TIP-2026-{i:06d}", "TIP", "under_investigation",
            f"Workers held on farm number {i} near Boston, Lincolnshire", "GBR",
            "Forced labour; Debt bondage", "ilo.gbr", "Full", "H2",
            "Not for the press; the prosecutor in Rome only", "2026-12-31 00:00",
            "2026-01-02 03:04", "2026-02-03 04:05", "",
        ]  # fmt: skip


def measure(label: str, count: int, write) -> None:
    tracemalloc.start()
    started = time.perf_counter()
    size = write(rows(count))
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"{label:5} {count:>7,} rows: {count / seconds:>9,.0f} rows/s, "
        f"peak {peak / 1e6:6.2f} MB, file {size / 1e6:6.1f} MB"
    )


def write_csv(data) -> int:
    return sum(
        len(chunk.encode()) for chunk in exports._csv_chunks(exports.CASE_COLUMNS, data, "note")
    )


def write_xlsx(data) -> int:
    with tempfile.TemporaryFile() as out:
        exports.write_xlsx(out, "Cases", exports.CASE_COLUMNS, data, "note")
        return out.tell()


if __name__ == "__main__":
    for count in (10_000, 100_000):
        measure("csv", count, write_csv)
        measure("xlsx", count, write_xlsx)
