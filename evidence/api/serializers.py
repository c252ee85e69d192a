"""The files API's shapes: a file's metadata (with the handling code of its case), and the
multipart upload."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from evidence.constants import FileKind, FileStatus, RecordType


class RecordSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=RecordType.choices)
    case = serializers.CharField(allow_null=True, help_text="The case's reference, if any.")
    id = serializers.CharField(
        help_text="The record: a case reference, a victim code, or the id of a message, a "
        "request (also for its answer), a referral or a referral's update."
    )


class FileSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="attachment.public_id")
    record = serializers.SerializerMethodField()
    kind = serializers.ChoiceField(source="attachment.kind", choices=FileKind.choices)
    title = serializers.CharField()
    file_name = serializers.CharField()
    media_type = serializers.CharField(source="attachment.media_type")
    size = serializers.IntegerField(source="attachment.size", help_text="Bytes.")
    sha256 = serializers.CharField(
        source="attachment.sha256",
        help_text="SHA-256 (hex) of the file as it was received: check your download against it.",
    )
    status = serializers.ChoiceField(
        source="attachment.status",
        choices=[(FileStatus.CHECKING, "Being checked"), (FileStatus.AVAILABLE, "Available")],
        help_text="`checking`: stored but not yet scanned for malware; it can be downloaded "
        "once `available`.",
    )
    handling_code = serializers.CharField(
        allow_null=True, help_text="The handling code of the case that binds you (a share)."
    )
    handling_conditions = serializers.CharField(allow_blank=True)
    uploaded_at = serializers.DateTimeField(source="attachment.uploaded_at")
    uploaded_by_organisation = serializers.SerializerMethodField()
    content_url = serializers.SerializerMethodField()

    @extend_schema_field(RecordSerializer)
    def get_record(self, view) -> dict:
        attachment = view.attachment
        record_type = attachment.record_type
        case = view.case
        if record_type == RecordType.CASE:
            key = case.reference
        elif record_type == RecordType.VICTIM:
            key = attachment.victim.code
        else:
            key = str(attachment.record_id)
        return {"type": record_type, "case": case.reference if case else None, "id": key}

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_uploaded_by_organisation(self, view) -> str | None:
        attachment = view.attachment
        if attachment.uploaded_by_office is not None:
            return attachment.uploaded_by_office.code
        if attachment.uploaded_by_partner is not None:
            return attachment.uploaded_by_partner.short_name or attachment.uploaded_by_partner.name
        return None

    @extend_schema_field(serializers.URLField())
    def get_content_url(self, view) -> str:
        from django.urls import reverse

        path = reverse("api-file-content", kwargs={"public_id": view.attachment.public_id})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class FileUploadSerializer(serializers.Serializer):
    record_type = serializers.ChoiceField(
        choices=RecordType.choices, help_text="What the file is attached to."
    )
    record = serializers.CharField(
        max_length=40,
        help_text="The record: a case reference, a victim code, or the id of a message, a "
        "cooperation request (also for `answer`: the answer to that request), a referral or a "
        "referral's update.",
    )
    file = serializers.FileField(
        allow_empty_file=False,
        use_url=False,
        help_text="The file (multipart). At most EVIDENCE_MAX_MB (25 MB); PDF, images, office "
        "documents, plain text; checked by its content and scanned for malware.",
    )
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=FileKind.choices, default=FileKind.OTHER)
