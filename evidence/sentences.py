"""The words of the notifications the evidence app publishes (liaison_offices/sentences.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from evidence.constants import FileKind, RecordType
from liaison_offices.constants import EventKind
from liaison_offices.sentences import label_of

__all__ = ["WORDS"]

# The record a file is on, as the end of "… was added to": "the case", "a referral of".
RECORD_NAMES = {
    RecordType.CASE: _("case"),
    RecordType.MESSAGE: _("message"),
    RecordType.REQUEST: _("cooperation request"),
    RecordType.ANSWER: _("answer to a cooperation request"),
    RecordType.REFERRAL: _("referral"),
    RecordType.UPDATE: _("update of a referral"),
    RecordType.VICTIM: _("victim's record"),
}


def _record(payload: dict) -> str:
    try:
        return str(RECORD_NAMES[RecordType(payload.get("record"))])
    except ValueError:
        return str(_("record"))


def file_added(payload: dict, names) -> dict:
    about = payload.get("reference") or payload.get("victim_code") or ""
    return {
        "about": about,
        "record": _record(payload),
        "file_kind": label_of(FileKind, payload.get("file_kind")),
        "other": payload.get("file_kind") == FileKind.OTHER,
    }


def file_quarantined(payload: dict, names) -> dict:
    signature = str(payload.get("signature") or "")
    return {"about": "", "record": _record(payload), "signature": signature[:100]}


WORDS = {EventKind.FILE_ADDED: file_added, EventKind.FILE_QUARANTINED: file_quarantined}
