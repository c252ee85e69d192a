"""Files on records, and the record of every download."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CooperationRequest, Message
from evidence.constants import Door, FileKind, FileStatus, RecordType
from evidence.querysets import AnswerOf, AttachmentQuerySet
from liaison_offices.models import LinkOffice, PartnerOrganisation
from victims.crypto import EncryptedTextField
from victims.models import Referral, ReferralUpdate, Victim

RECORD_FIELDS = ("case", "message", "request", "answer", "referral", "update", "victim")


def _exactly_one_record() -> Q:
    condition = Q()
    for name in RECORD_FIELDS:
        others = {f"{other}__isnull": True for other in RECORD_FIELDS if other != name}
        condition |= Q(**{f"{name}__isnull": False}, **others)
    return condition


class Attachment(models.Model):
    """One file on one record: a case, a case message, a cooperation request or its answer, a
    referral or one of its updates, or a victim. Its bytes are in the evidence storage,
    encrypted under a key of its own (the key is wrapped by the project's key ring,
    `evidence.crypto`); its title and file name are sealed
    like a victim's personal fields, so the database holds no plaintext name of a document.

    The SHA-256 digest is of the bytes as received, shown to users: the chain of custody of
    what was uploaded stays with the record.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    request = models.ForeignKey(
        CooperationRequest,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attachments",
    )
    # A request's answer is the request's own text field: its files hang on the request, as
    # the answer's (the answering party adds them, both parties see them).
    answer = models.ForeignKey(
        CooperationRequest,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="answer_attachments",
    )
    referral = models.ForeignKey(
        Referral, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    update = models.ForeignKey(
        ReferralUpdate,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="attachments",
    )
    victim = models.ForeignKey(
        Victim, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    kind = models.CharField(max_length=20, choices=FileKind.choices, default=FileKind.OTHER)
    title = EncryptedTextField()
    file_name = EncryptedTextField()
    media_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField("SHA-256", max_length=64)
    status = models.CharField(
        max_length=12, choices=FileStatus.choices, default=FileStatus.CHECKING
    )
    scanner = models.CharField(max_length=20, blank=True)
    signature = models.CharField(max_length=200, blank=True, help_text="What the scanner found")
    scanned_at = models.DateTimeField(null=True, blank=True)
    # Where the encrypted bytes are (a random name: nothing about the record or the file),
    # and the file's own key, wrapped by the key ring.
    storage_name = models.CharField(max_length=200, unique=True, editable=False)
    wrapped_key = models.TextField(editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_by_office = models.ForeignKey(
        LinkOffice, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_by_partner = models.ForeignKey(
        PartnerOrganisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)
    # HQ's quarantine and deletion; the reason stays for the audit.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_reason = models.TextField(blank=True)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = "file"
        constraints = [
            models.CheckConstraint(condition=_exactly_one_record(), name="attachment_one_record")
        ]
        indexes = [
            models.Index(fields=["case", "-uploaded_at"], name="attachment_case"),
            models.Index(fields=["message"], name="attachment_message"),
            models.Index(fields=["request"], name="attachment_request"),
            models.Index(fields=["answer"], name="attachment_answer"),
            models.Index(fields=["referral"], name="attachment_referral"),
            models.Index(fields=["update"], name="attachment_update"),
            models.Index(fields=["victim"], name="attachment_victim"),
            models.Index(fields=["status", "-uploaded_at"], name="attachment_status"),
        ]

    def __str__(self) -> str:
        # No title: it may name a victim's document.
        return f"File {self.public_id} on {self.record_type} {self.record_id}"

    def get_absolute_url(self) -> str:
        """The record's page, at its files (notifications link here, not to the bytes)."""
        record = self.record
        if record is None:
            return reverse("evidence:download", kwargs={"public_id": self.public_id})
        if self.answer_id is not None:
            return record.get_absolute_url()  # the answer's own section
        if self.update_id is not None:
            return f"{record.referral.get_absolute_url()}#update-{record.pk}"
        return record.get_absolute_url().split("#")[0] + "#files"

    @property
    def download_url(self) -> str:
        return reverse("evidence:download", kwargs={"public_id": self.public_id})

    @property
    def record_type(self) -> str:
        for name in RECORD_FIELDS:
            if getattr(self, f"{name}_id") is not None:
                return RecordType(name)
        return ""

    @property
    def record_id(self) -> int | None:
        return getattr(self, f"{self.record_type}_id", None) if self.record_type else None

    @property
    def record(self):
        """The record the file hangs on (an `AnswerOf` its request for an answer's file)."""
        if self.answer_id is not None:
            return AnswerOf(self.answer)
        return getattr(self, self.record_type) if self.record_type else None

    @property
    def is_personal(self) -> bool:
        """A victim's document: its title, name and bytes are personal data."""
        return self.victim_id is not None

    @property
    def is_available(self) -> bool:
        return self.status == FileStatus.AVAILABLE

    @property
    def notification_label(self) -> str:
        return f"file {str(self.public_id)[:8]}"


class FileDownload(models.Model):
    """One download of a file: who, which, when, through which door (visible to HQ)."""

    attachment = models.ForeignKey(Attachment, on_delete=models.PROTECT, related_name="downloads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now, editable=False)
    door = models.CharField(max_length=8, choices=Door.choices)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["attachment", "-at"], name="download_attachment"),
            models.Index(fields=["user", "-at"], name="download_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} downloaded {self.attachment.public_id} ({self.door})"
