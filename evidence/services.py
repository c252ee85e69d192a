"""Every write on files: screening, adding, the scan's outcome, HQ's quarantine and deletion,
and the download record (docs/evidence.md).

An upload goes through three steps, so that a refusal leaves nothing behind:

1. `screen_uploads` — size, type by content (libmagic, against `ALLOWED_TYPES`) and the malware
   scan, before anything is stored. Size and type refusals raise `FileRefused` on the spot.
2. Any file the scanner flags is kept, encrypted, as INFECTED for HQ (`quarantine_infected`,
   its own transaction, HQ alerted, the uploader told) and the upload is refused with
   `FileInfected`: none of the upload's other files are stored either.
3. `attachments_add` stores the clean files in one transaction with the access re-check; a
   scanner that could not be reached leaves them "being checked" for the worker
   (`evidence.tasks.scan_file`).

`upload(...)` runs the three for a door that adds files on their own; the message door screens
first and then posts the message and adds its files in one transaction.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import PurePath

import magic
from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from cases.constants import ShareLevel
from cases.models import Case, CooperationRequest, Message
from evidence import crypto, storage
from evidence.constants import (
    ALLOWED_TYPES,
    MAX_FILES_PER_UPLOAD,
    Door,
    FileKind,
    FileStatus,
)
from evidence.models import Attachment, FileDownload
from evidence.querysets import AnswerOf, record_field
from evidence.scanning import ScannerUnavailable, ScanResult, get_scanner
from glo_act.errors import DomainError, PermissionDenied
from liaison_offices.access import can_work_office, scope_of
from liaison_offices.constants import HQ_CODE, EventKind
from liaison_offices.models import LinkOffice, Membership
from liaison_offices.notifications import publish
from victims.models import Referral, ReferralUpdate, Victim

logger = logging.getLogger(__name__)

# libmagic reads this much of the start of a file to tell its type (enough for the Office
# formats, whose parts it looks for inside the zip).
MAGIC_BYTES = 1024 * 1024


class FileRefused(DomainError):
    """An upload that is refused before anything is stored (size, type, count)."""

    status_code = 422
    title = "The file was refused"


class FileInfected(FileRefused):
    """The scanner found malware: the file is quarantined for HQ and nothing is added."""

    title = "The file was refused: malware found"


@dataclass
class Screened:
    """An upload that passed the size and type checks, with its digest and scan result."""

    name: str
    media_type: str
    size: int
    sha256: str
    data: bytes
    result: ScanResult | None  # None: the scanner could not be asked

    @property
    def infected(self) -> bool:
        return self.result is not None and not self.result.clean


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _clean_name(name: str) -> str:
    base = PurePath(str(name or "").replace("\\", "/")).name.strip()
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>:|?*')
    return base[:200] or "file"


def screen_uploads(uploads, *, field: str = "files") -> list[Screened]:
    """Check every upload (size, type, scan) before any is stored; FileRefused names the file."""
    uploads = list(uploads)
    if not uploads:
        raise FileRefused("Choose a file to upload.", field=field)
    if len(uploads) > MAX_FILES_PER_UPLOAD:
        raise FileRefused(
            f"Upload at most {MAX_FILES_PER_UPLOAD} files at once ({len(uploads)} were chosen).",
            field=field,
        )
    limit = settings.EVIDENCE_MAX_BYTES
    screened = []
    for upload in uploads:
        name = _clean_name(upload.name)
        if getattr(upload, "too_large", False) or upload.size > limit:
            raise FileRefused(
                f"{name} is {_megabytes(upload.size)}; files may be at most "
                f"{_megabytes(limit)}. Nothing was uploaded.",
                field=field,
            )
        upload.seek(0)
        data = upload.read()
        if not data:
            raise FileRefused(f"{name} is empty. Nothing was uploaded.", field=field)
        media_type = magic.from_buffer(data[:MAGIC_BYTES], mime=True)
        if media_type not in ALLOWED_TYPES:
            kinds = (
                "PDF, JPEG, PNG, TIFF, HEIC, WebP, plain text, CSV, Word, Excel, OpenDocument, "
                "MP3, MP4"
            )
            raise FileRefused(
                f"{name} is {media_type}, which is not accepted (by its content, whatever its "
                f"name says). Accepted: {kinds}. Nothing was uploaded.",
                field=field,
            )
        screened.append(
            Screened(
                name=name,
                media_type=media_type,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                data=data,
                result=None,
            )
        )
    scanner = get_scanner()
    for item in screened:
        try:
            item.result = scanner.scan([item.data])
        except ScannerUnavailable as exc:
            logger.warning("File scan deferred: %s", exc)
            item.result = None
    return screened


# --- Who may add a file to a record --------------------------------------------------------------


def _lock_record(user, record):
    """The record, re-read inside the transaction through the rule for adding files to it.

    A case: seen at FULL level (as for posting a message); a message: its author; a request:
    its two parties; a request's answer: the answering party, once it has answered; a
    referral: the referring office or the receiving partner; a referral's update: its author;
    a victim: those who may change the victim. Not visible at all → 404.
    """
    kind = record_field(record)
    if kind == "case":
        case = Case.objects.visible_to(user, ShareLevel.FULL).filter(pk=record.pk).first()
        if case is not None:
            return case
        if Case.objects.visible_to(user).filter(pk=record.pk).exists():
            raise PermissionDenied(
                "A summary share does not include the case's files; ask the lead office for a "
                "full share."
            )
        raise Http404("No such case.")
    if kind == "message":
        message = Message.objects.visible_to(user).filter(pk=record.pk).first()
        if message is None:
            raise Http404("No such message.")
        if message.author_id != user.pk:
            raise PermissionDenied("Only the author of a message can attach files to it.")
        return message
    if kind == "request":
        found = CooperationRequest.objects.visible_to(user).filter(pk=record.pk).first()
        if found is None:
            raise Http404("No such request.")
        return found
    if kind == "answer":
        found = (
            CooperationRequest.objects.visible_to(user)
            .select_related("case", "from_office", "to_office", "to_partner")
            .filter(pk=record.pk)
            .first()
        )
        if found is None:
            raise Http404("No such request.")
        answering = (
            can_work_office(user, found.to_office_id)
            if found.to_office_id is not None
            else found.to_partner_id in scope_of(user).partner_ids
        )
        if not answering:
            raise PermissionDenied(f"Only {found.recipient} can attach files to its answer.")
        if not found.answer:
            raise PermissionDenied("The request has no answer yet: attach the files to it.")
        return AnswerOf(found)
    if kind == "referral":
        found = Referral.objects.visible_to(user).filter(pk=record.pk).first()
        if found is None:
            raise Http404("No such referral.")
        return found
    if kind == "update":
        found = (
            ReferralUpdate.objects.filter(
                referral__in=Referral.objects.visible_to(user).values("pk"), pk=record.pk
            )
            .select_related("referral__victim", "referral__from_office", "referral__partner")
            .first()
        )
        if found is None:
            raise Http404("No such update.")
        if found.author_id != user.pk:
            raise PermissionDenied("Only the author of an update can attach files to it.")
        return found
    victim = Victim.objects.restrict(user, "change").filter(pk=record.pk).first()
    if victim is None:
        if Victim.objects.visible_to(user).filter(pk=record.pk).exists():
            raise PermissionDenied(
                "Only the office that recorded the victim, or the lead office of a linked "
                "case, can add the victim's documents."
            )
        raise Http404("No such victim.")
    return victim


def check_can_add(user, record) -> None:
    """Raise as `attachments_add` would, without writing (for the doors' forms)."""
    _lock_record(user, record)


def _uploader_organisation(user, record):
    if isinstance(record, AnswerOf):
        return record.request.to_office, record.request.to_partner
    if isinstance(record, ReferralUpdate):
        record = record.referral
    if isinstance(record, Case | Message | CooperationRequest):
        from cases.services._common import acting_organisation

        case = record if isinstance(record, Case) else record.case
        return acting_organisation(user, case)
    scope = scope_of(user)
    membership = (
        Membership.objects.filter(user=user, ended_at__isnull=True)
        .select_related("office", "partner")
        .order_by("id")
    )
    if isinstance(record, Referral) and record.partner_id in scope.partner_ids:
        return None, record.partner
    if isinstance(record, Referral) and record.from_office_id in scope.view_office_ids:
        return record.from_office, None
    first = membership.first()
    return (first.office, first.partner) if first else (None, None)


def _title_for(item: Screened, title: str) -> str:
    title = (title or "").strip()
    return title[:200] if title else PurePath(item.name).stem[:200] or item.name


def _store(item: Screened) -> tuple[str, str]:
    """Encrypt and write one file; (storage name, wrapped key)."""
    key = crypto.new_key()
    name = storage.write(
        storage.new_name(),
        crypto.encrypt_stream(key, [item.data]),
        crypto.stored_size(item.size),
    )
    return name, crypto.wrap_key(key)


def _new_attachment(user, record, item: Screened, *, title: str, kind: str, status: str):
    office, partner = _uploader_organisation(user, record)
    name, wrapped = _store(item)
    held = record.request if isinstance(record, AnswerOf) else record
    return Attachment(
        **{record_field(record): held},
        kind=kind,
        title=_title_for(item, title),
        file_name=item.name,
        media_type=item.media_type,
        size=item.size,
        sha256=item.sha256,
        status=status,
        scanner=item.result.scanner if item.result else "",
        signature=item.result.signature if item.result else "",
        scanned_at=timezone.now() if item.result else None,
        storage_name=name,
        wrapped_key=wrapped,
        uploaded_by=user,
        uploaded_by_office=office,
        uploaded_by_partner=partner,
    )


def _check_kind(kind: str) -> str:
    kind = kind or FileKind.OTHER
    if kind not in FileKind.values:
        allowed = ", ".join(FileKind.values)
        raise DomainError(f"{kind!r} is not a kind of file; use one of: {allowed}.", field="kind")
    return kind


def attachments_add(
    *,
    acting_user,
    record,
    files: list[Screened],
    title: str = "",
    kind: str = FileKind.OTHER,
    announce: bool = True,
) -> list[Attachment]:
    """Store the screened, clean `files` on `record` (one transaction; nothing on refusal).

    `title` names the file when one is added (default: its file name without extension).
    `announce=False` when the files come with a write that notifies of its own (a request's
    answer, a referral's update, posted with its files): one notification, not two.
    """
    kind = _check_kind(kind)
    if any(item.infected for item in files):
        raise ValueError("Infected files go through quarantine_infected, never here.")
    written: list[str] = []
    try:
        with transaction.atomic():
            record = _lock_record(acting_user, record)
            created = []
            for item in files:
                status = FileStatus.AVAILABLE if item.result else FileStatus.CHECKING
                attachment = _new_attachment(
                    acting_user,
                    record,
                    item,
                    title=title if len(files) == 1 else "",
                    kind=kind,
                    status=status,
                )
                written.append(attachment.storage_name)
                attachment.save()
                created.append(attachment)
            for attachment in created:
                if announce:
                    _announce(acting_user, attachment)
                if attachment.status == FileStatus.CHECKING:
                    from evidence.tasks import scan_file

                    transaction.on_commit(lambda pk=attachment.pk: scan_file.delay(pk))
    except BaseException:
        for name in written:
            storage.delete(name)
        raise
    return created


def _announce(actor, attachment: Attachment) -> None:
    """Tell those who may see the record (asked again at delivery: `Attachment.visible_to`)."""
    from cases.services._common import case_audience

    offices, partners = [], []
    record = attachment.record
    payload = {"record": attachment.record_type, "file_kind": attachment.kind}
    label = ""
    if isinstance(record, Case | Message):
        case = record if isinstance(record, Case) else record.case
        offices, partners = case_audience(
            case,
            exclude_office=attachment.uploaded_by_office,
            exclude_partner=attachment.uploaded_by_partner,
            min_level=ShareLevel.FULL,
        )
        payload["reference"] = label = case.reference
    elif isinstance(record, CooperationRequest | AnswerOf):
        request = record.request if isinstance(record, AnswerOf) else record
        offices = [o for o in (request.from_office, request.to_office) if o]
        partners = [p for p in (request.to_partner,) if p]
        payload["reference"] = label = request.case.reference
    elif isinstance(record, Referral | ReferralUpdate):
        referral = record.referral if isinstance(record, ReferralUpdate) else record
        offices, partners = [referral.from_office], [referral.partner]
        payload["victim_code"] = label = referral.victim.code
    else:
        offices = [record.recorded_by_office]
        payload["victim_code"] = label = record.code
    if isinstance(record, Message):
        return  # the message's own notification covers its files
    publish(
        kind=EventKind.FILE_ADDED,
        subject=attachment,
        subject_label=label,
        actor=actor,
        offices=[o for o in offices if o != attachment.uploaded_by_office],
        partners=[p for p in partners if p != attachment.uploaded_by_partner],
        payload=payload,
    )


def quarantine_infected(*, acting_user, record, files: list[Screened]) -> list[Attachment]:
    """Keep the infected `files` (encrypted) as INFECTED for HQ, alert HQ and the uploader.

    Its own transaction: the upload it came with is refused, the quarantine stays.
    """
    infected = [item for item in files if item.infected]
    written: list[str] = []
    try:
        with transaction.atomic():
            record = _lock_record(acting_user, record)
            kept = []
            for item in infected:
                attachment = _new_attachment(
                    acting_user,
                    record,
                    item,
                    title="",
                    kind=FileKind.OTHER,
                    status=FileStatus.INFECTED,
                )
                written.append(attachment.storage_name)
                attachment.save()
                kept.append(attachment)
                _alert_infected(acting_user, attachment)
    except BaseException:
        for name in written:
            storage.delete(name)
        raise
    return kept


def _alert_infected(uploader, attachment: Attachment) -> None:
    logger.warning(
        "Malware found in an upload: file %s on %s %s (%s)",
        attachment.public_id,
        attachment.record_type,
        attachment.record_id,
        attachment.signature,
    )
    payload = {
        "record": attachment.record_type,
        "signature": attachment.signature[:100],
        "file": str(attachment.public_id),
    }
    hq = LinkOffice.objects.filter(code=HQ_CODE).first()
    # HQ is told whatever it sees; the uploader is told of their own upload.
    publish(
        kind=EventKind.FILE_QUARANTINED,
        subject=attachment,
        subject_label=attachment.notification_label,
        offices=[hq] if hq else [],
        users=[uploader] if uploader else [],
        payload=payload,
        check_visibility=False,
    )


def upload(*, acting_user, record, uploads, title: str = "", kind: str = FileKind.OTHER):
    """Screen and add `uploads` to `record` (see the module's docstring)."""
    kind = _check_kind(kind)
    check_can_add(acting_user, record)
    screened = screen_uploads(uploads)
    refuse_infected(acting_user, record, screened)
    return attachments_add(
        acting_user=acting_user, record=record, files=screened, title=title, kind=kind
    )


def refuse_infected(acting_user, record, screened: list[Screened]) -> None:
    """Quarantine and refuse, if any screened file is infected."""
    infected = [item for item in screened if item.infected]
    if not infected:
        return
    quarantine_infected(acting_user=acting_user, record=record, files=infected)
    names = ", ".join(item.name for item in infected)
    raise FileInfected(
        f"{names}: malware was found ({infected[0].result.signature}). The file is "
        "quarantined and HQ has been told; nothing was uploaded.",
        field="files",
    )


# --- The worker's scan, HQ's withdrawal ----------------------------------------------------------


def plaintext(attachment: Attachment):
    """The file's bytes, decrypted as they stream from storage."""
    key = crypto.unwrap_key(attachment.wrapped_key)
    return crypto.decrypt_stream(key, storage.read(attachment.storage_name))


def scan_stored(attachment_id: int) -> str:
    """Scan a file left "being checked"; its new status. ScannerUnavailable: try later."""
    attachment = Attachment.objects.get(pk=attachment_id)
    if attachment.status != FileStatus.CHECKING:
        return attachment.status
    result = get_scanner().scan(plaintext(attachment))
    with transaction.atomic():
        attachment = Attachment.objects.select_for_update().get(pk=attachment_id)
        if attachment.status != FileStatus.CHECKING:
            return attachment.status
        attachment.status = FileStatus.AVAILABLE if result.clean else FileStatus.INFECTED
        attachment.scanner, attachment.signature = result.scanner, result.signature
        attachment.scanned_at = timezone.now()
        attachment.save(update_fields=["status", "scanner", "signature", "scanned_at"])
        if not result.clean:
            _alert_infected(attachment.uploaded_by, attachment)
    return attachment.status


def _check_hq(user) -> None:
    if not scope_of(user).is_hq:
        raise PermissionDenied("Only HQ can quarantine or delete files.")


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Give the reason; it is kept in the audit.", field="reason")
    return reason[:1000]


def attachment_quarantine(*, acting_user, attachment: Attachment, reason: str) -> Attachment:
    """HQ withholds a file from every door (kept, encrypted, for examination)."""
    _check_hq(acting_user)
    reason = _reason(reason)
    with transaction.atomic():
        attachment = Attachment.objects.select_for_update().get(pk=attachment.pk)
        if attachment.status == FileStatus.DELETED:
            raise DomainError("The file was deleted; there is nothing to quarantine.")
        attachment.status = FileStatus.QUARANTINED
        attachment.withdrawn_at, attachment.withdrawn_by = timezone.now(), acting_user
        attachment.withdrawn_reason = reason
        attachment.save(
            update_fields=["status", "withdrawn_at", "withdrawn_by", "withdrawn_reason"]
        )
    return attachment


def attachment_delete(*, acting_user, attachment: Attachment, reason: str) -> Attachment:
    """HQ deletes a file's bytes; the row (digest, who, when, the reason) stays for the audit."""
    _check_hq(acting_user)
    reason = _reason(reason)
    with transaction.atomic():
        attachment = Attachment.objects.select_for_update().get(pk=attachment.pk)
        name = attachment.storage_name
        attachment.status = FileStatus.DELETED
        attachment.withdrawn_at, attachment.withdrawn_by = timezone.now(), acting_user
        attachment.withdrawn_reason = reason
        attachment.save(
            update_fields=["status", "withdrawn_at", "withdrawn_by", "withdrawn_reason"]
        )
        transaction.on_commit(lambda: storage.delete(name))
    return attachment


def download_record(*, user, attachment: Attachment, door: str) -> FileDownload:
    """Record one download (and, for a victim's document, the read of personal data)."""
    entry = FileDownload.objects.create(attachment=attachment, user=user, door=Door(door))
    if attachment.is_personal:
        from victims.access import record_personal_data_read

        record_personal_data_read(
            user=user,
            victim=attachment.victim,
            door=door,
            fields=[],
            reason=f"document {attachment.public_id}",
        )
    return entry
