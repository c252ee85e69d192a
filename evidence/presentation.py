"""How a file is shown and named to one user: title, digest, status, and the handling code and
conditions of the case it belongs to, which travel with it (beside it on the page, in the
download's file name)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

from django.urls import reverse

from evidence.constants import ALLOWED_TYPES, FileStatus
from evidence.models import Attachment


def case_of(attachment: Attachment):
    """The case a file's record belongs to (None for a referral's or a victim's file)."""
    if attachment.case_id:
        return attachment.case
    if attachment.message_id:
        return attachment.message.case
    if attachment.request_id:
        return attachment.request.case
    if attachment.answer_id:
        return attachment.answer.case
    return None


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


@dataclass
class FileView:
    attachment: Attachment
    title: str
    file_name: str
    handling_code: str
    handling_label: str
    handling_conditions: str

    @property
    def public_id(self):
        return self.attachment.public_id

    @property
    def kind_label(self) -> str:
        return self.attachment.get_kind_display()

    @property
    def size_label(self) -> str:
        return _size(self.attachment.size)

    @property
    def sha256(self) -> str:
        return self.attachment.sha256

    @property
    def checking(self) -> bool:
        return self.attachment.status == FileStatus.CHECKING

    @property
    def available(self) -> bool:
        return self.attachment.status == FileStatus.AVAILABLE

    @property
    def download_url(self) -> str:
        return reverse("evidence:download", kwargs={"public_id": self.attachment.public_id})

    @property
    def uploaded_by(self) -> str:
        user = self.attachment.uploaded_by
        who = (user.get_full_name() or user.get_username()) if user else "Someone"
        org = self.attachment.uploaded_by_office or self.attachment.uploaded_by_partner
        return f"{who} ({org.code if hasattr(org, 'code') else org})" if org else who


def file_view(attachment: Attachment, access=None) -> FileView:
    """`access`: the user's `CaseAccess` on the file's case, if it has one."""
    via_share = access is not None and access.via_share
    return FileView(
        attachment=attachment,
        title=attachment.title.reveal() if attachment.title else "",
        file_name=attachment.file_name.reveal() if attachment.file_name else "file",
        handling_code=access.handling_code if via_share else "",
        handling_label=access.handling_label if via_share else "",
        handling_conditions=access.handling_conditions if via_share else "",
    )


def download_name(view: FileView) -> str:
    """`H2_GBR-2026-0007_statement.pdf`: handling code, record, file name with the extension
    of its real type."""
    attachment = view.attachment
    stem = PurePath(view.file_name).stem or "file"
    extension = ALLOWED_TYPES.get(attachment.media_type, "bin")
    case = case_of(attachment)
    if case is not None:
        record = case.reference
    elif attachment.victim_id:
        record = attachment.victim.code
    elif attachment.update_id:
        record = attachment.update.referral.victim.code
    else:
        record = attachment.referral.victim.code
    parts = [part for part in (view.handling_code, record, stem) if part]
    return "_".join(parts) + "." + extension
