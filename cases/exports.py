"""Exports of the case list and the cooperation request list, as CSV and XLSX (docs/casework.md).

What a user exports is what the list shows them: the same `visible_to`, the same filters, and
per row the one answer of `cases.access` — their level and the handling code (and conditions)
that bind them — so that a file passed on carries its own restrictions. No personal data: a
list export holds the cases' summary fields, never a victim, a suspect, a summary or a message.

A CSV cell that a spreadsheet would read as a formula is quoted; XLSX cells are text. Both
formats stream with constant memory: rows are read from a server-side cursor in chunks
(`QuerySet.iterator`), CSV is written row by row into the response, and XLSX row by row into
a temporary file (one worksheet of inline strings, zipped as it is written) that is then sent
in chunks. Each export is recorded (`ExportRecord`: who, what, which filters, how many rows).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from xml.sax.saxutils import escape

from django.db.models import F
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from cases.access import access_from_grant
from cases.constants import AccessLevel, Exploitation
from cases.models import ExportRecord

__all__ = [
    "CASE_COLUMNS",
    "REQUEST_COLUMNS",
    "case_rows",
    "export_response",
    "request_rows",
]

CHUNK = 2000  # rows fetched from the cursor at a time

CASE_COLUMNS = (
    "reference", "kind", "status", "title", "lead_office", "forms_of_exploitation",
    "assigned_to", "your_access", "handling_code", "handling_conditions", "share_expires_at",
    "created_at", "updated_at", "closed_at",
)  # fmt: skip

REQUEST_COLUMNS = (
    "id", "case", "kind", "urgency", "status", "from_office", "to", "due_at", "overdue",
    "created_at", "answered_at", "closed_at",
)  # fmt: skip

EXPLOITATION = dict(Exploitation.choices)


def _when(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):  # SQLite hands back text for annotations
        return value
    return (
        timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
        if isinstance(value, dt.datetime)
        else value.isoformat()
    )


def case_rows(user, cases) -> Iterator[list[str]]:
    """The rows of a case export (no header) for `cases`, a filtered `visible_to(user)`."""
    rows = (
        cases.with_access(user)
        .annotate(lead_code=F("lead_office__code"), assignee=F("assigned_to__username"))
        .order_by("-updated_at", "-id")
        .values(
            "reference",
            "kind",
            "status",
            "title",
            "lead_office_id",
            "lead_code",
            "forms_of_exploitation",
            "assignee",
            "access_grant",
            "created_at",
            "updated_at",
            "closed_at",
        )  # fmt: skip
    )
    for row in rows.iterator(chunk_size=CHUNK):
        access = access_from_grant(user, row["lead_office_id"], row["access_grant"])
        share = access.via_share
        yield [
            row["reference"],
            row["kind"],
            row["status"],
            row["title"],
            row["lead_code"],
            "; ".join(str(EXPLOITATION.get(f, f)) for f in row["forms_of_exploitation"] or ()),
            (row["assignee"] or "") if access.is_owner else "",
            AccessLevel(access.level).label if access.level else "",
            access.handling_code if share else "",
            access.handling_conditions if share else "",
            _when(access.expires_at) if share else "",
            _when(row["created_at"]),
            _when(row["updated_at"]),
            _when(row["closed_at"]),
        ]


def request_rows(user, requests) -> Iterator[list[str]]:
    """The rows of a cooperation request export for `requests`, a filtered `visible_to(user)`:
    what the request list shows; the question and the answer are on each request's page."""
    now = timezone.now()
    rows = requests.annotate(
        reference=F("case__reference"),
        from_code=F("from_office__code"),
        to_code=F("to_office__code"),
        to_name=F("to_partner__name"),
    ).values(
        "id", "reference", "kind", "urgency", "status", "from_code", "to_code", "to_name",
        "due_at", "created_at", "answered_at", "closed_at",
    )  # fmt: skip
    for row in rows.iterator(chunk_size=CHUNK):
        yield [
            str(row["id"]),
            row["reference"],
            row["kind"],
            row["urgency"],
            row["status"],
            row["from_code"],
            row["to_code"] or row["to_name"] or "",
            _when(row["due_at"]),
            "yes" if row["status"] == "open" and row["due_at"] < now else "",
            _when(row["created_at"]),
            _when(row["answered_at"]),
            _when(row["closed_at"]),
        ]


# --- writers ------------------------------------------------------------------------------------


class _Echo:
    """A file-like object whose `write` hands back what it is given (csv.writer into a
    streamed response)."""

    def write(self, value: str) -> str:
        return value


def _inert(value: str) -> str:
    """A cell a spreadsheet will not run: text starting with = + - @ (or a tab or carriage
    return before one) is read as a formula when a CSV is opened, so it gets a leading quote."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _csv_chunks(header: Iterable[str], rows: Iterable[list[str]], note: str) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # so that Excel reads the file as UTF-8
    yield writer.writerow([note])
    yield writer.writerow(header)
    buffer: list[str] = []
    for row in rows:
        buffer.append(writer.writerow([_inert(value) for value in row]))
        if len(buffer) >= 500:
            yield "".join(buffer)
            buffer = []
    if buffer:
        yield "".join(buffer)


def _column_name(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _xml_text(value: str) -> str:
    # XML 1.0 forbids most control characters; a title pasted from elsewhere may hold one.
    cleaned = "".join(ch for ch in str(value) if ch in "\t\n\r" or ord(ch) >= 32)
    return escape(cleaned)


def _xlsx_row(number: int, values: Iterable[str], style: int = 0) -> str:
    cells = []
    attr = f' s="{style}"' if style else ""
    for column, value in enumerate(values):
        ref = f"{_column_name(column)}{number}"
        cells.append(f'<c r="{ref}" t="inlineStr"{attr}><is><t>{_xml_text(value)}</t></is></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'


_OOX = "http://schemas.openxmlformats.org"
_REL = f"{_OOX}/officeDocument/2006/relationships"
_MAIN = f"{_OOX}/spreadsheetml/2006/main"
_DOC = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'

# The fixed parts of a one-sheet workbook (Office Open XML, the least that spreadsheet
# programs accept): content types, relationships, and two cell styles (plain, bold).
_XLSX_PARTS = {
    "[Content_Types].xml": (
        f'{_XML}<Types xmlns="{_OOX}/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_DOC}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_DOC}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_DOC}.styles+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        f'{_XML}<Relationships xmlns="{_OOX}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/_rels/workbook.xml.rels": (
        f'{_XML}<Relationships xmlns="{_OOX}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
        "</Relationships>"
    ),
    "xl/styles.xml": (
        f'{_XML}<styleSheet xmlns="{_MAIN}">'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
        '<borders count="1"><border/></borders>'
        '<cellStyleXfs count="1"><xf/></cellStyleXfs>'
        '<cellXfs count="2"><xf/><xf fontId="1" applyFont="1"/></cellXfs>'
        "</styleSheet>"
    ),
}


def _xlsx_workbook(sheet: str) -> str:
    return (
        f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
        f'<sheets><sheet name="{_xml_text(sheet)}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )


def write_xlsx(out, sheet: str, header: Iterable[str], rows: Iterable[list[str]], note: str):
    """Write a one-sheet workbook to the binary file `out`, a row at a time: the note (the
    handling reminder) on the first row, the header in bold on the second, then `rows`."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as book:
        for name, content in _XLSX_PARTS.items():
            book.writestr(name, content)
        book.writestr("xl/workbook.xml", _xlsx_workbook(sheet))
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(f'{_XML}<worksheet xmlns="{_MAIN}"><sheetData>'.encode())
            part.write(_xlsx_row(1, [note]).encode())
            part.write(_xlsx_row(2, header, style=1).encode())
            buffer: list[str] = []
            for number, row in enumerate(rows, start=3):
                buffer.append(_xlsx_row(number, row))
                if len(buffer) >= 500:
                    part.write("".join(buffer).encode())
                    buffer = []
            part.write("".join(buffer).encode())
            part.write(b"</sheetData></worksheet>")


# --- the response -------------------------------------------------------------------------------

HANDLING_NOTE = (
    "Exported from GLO.ACT by {user} on {when} UTC. Each row's handling code binds you: "
    "H0 crime prevention and investigation only; H1 not for judicial proceedings without the "
    "originator's consent; H2 no onward dissemination without the originator's consent; H3 the "
    "conditions stated. Rows without a code are your own office's."
)


def _counted(rows: Iterable[list[str]], record: ExportRecord) -> Iterator[list[str]]:
    """Pass the rows on and, after the last, store how many there were."""
    count = 0
    for row in rows:
        count += 1
        yield row
    record.rows = count
    record.finished_at = timezone.now()
    record.save(update_fields=["rows", "finished_at"])


def export_response(
    *,
    user,
    what: str,
    file_format: str,
    filters: dict,
    header: tuple[str, ...],
    rows: Callable[[], Iterable[list[str]]],
):
    """The file of an export, recorded: CSV streamed as it is written; XLSX written to a
    temporary file, then streamed."""
    record = ExportRecord.objects.create(
        user=user, what=what, file_format=file_format, filters=filters
    )
    now = timezone.now()
    note = HANDLING_NOTE.format(user=user.get_username(), when=f"{now:%Y-%m-%d %H:%M}")
    name = f"glo-act-{what}-{now:%Y%m%d-%H%M}"
    counted = _counted(rows(), record)
    if file_format == "csv":
        response = StreamingHttpResponse(
            _csv_chunks(header, counted, note), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    else:
        out = tempfile.TemporaryFile()  # noqa: SIM115 -- the response closes it when sent
        write_xlsx(out, what.capitalize(), header, counted, note)
        out.seek(0)
        response = FileResponse(
            out,
            as_attachment=True,
            filename=f"{name}.xlsx",
            content_type=f"{_DOC}.sheet",
        )
    response["Cache-Control"] = "no-store"
    return response


def read_xlsx_rows(data: bytes) -> list[list[str]]:
    """The cells of a workbook `write_xlsx` wrote, row by row (for tests and checks)."""
    import xml.etree.ElementTree as ET  # noqa: N817, S405 -- our own file, not untrusted XML

    with zipfile.ZipFile(io.BytesIO(data)) as book:
        root = ET.fromstring(book.read("xl/worksheets/sheet1.xml"))  # noqa: S314
    return [
        ["".join(t.text or "" for t in cell.iter(f"{{{_MAIN}}}t")) for cell in row]
        for row in root.iter(f"{{{_MAIN}}}row")
    ]
