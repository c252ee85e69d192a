"""`/api/v1/files/`: the files of the records a focal point or provider may see.

List (filtered to one record), metadata, multipart upload and the streamed download, each
through `Attachment.objects.visible_to` and `evidence.services`, as the pages are.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from cases.access import case_access
from evidence import services
from evidence.api.filters import AttachmentFilter
from evidence.api.serializers import FileSerializer, FileUploadSerializer
from evidence.constants import SERVED_AS_IS, Door, FileStatus, RecordType
from evidence.models import Attachment
from evidence.presentation import case_of, file_view
from evidence.views import download_response
from glo_act.api import (
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    VisibleQuerysetMixin,
    problem,
    problem_responses,
)

LIST_DESCRIPTION = """\
The files you may see, newest first: a file is seen exactly when its record is, at the level
that record needs (a case's files need a full share; a victim's documents need every personal
field; a referral's files are its two parties'; a request's its two parties'). Filter to one
record with `case`, `message`, `request`, `referral` or `victim`. Files being checked for
malware are listed (`status: checking`) but cannot be downloaded yet.

`handling_code` and `handling_conditions` are those of the case that bind you: they travel with
the file (and start the downloaded file's name).
"""

UPLOAD_DESCRIPTION = """\
Attach one file to a record, as `multipart/form-data`: `record_type` and `record` name the
record, `file` the bytes. The file is checked before anything is stored: its size, its type by
content (not by name), and malware. A refusal is a 422 naming the reason, and nothing is
stored; malware is also quarantined for HQ. A case file needs a full share; a victim's
document, the office that may change the victim.
"""

CONTENT_TYPES = sorted({*SERVED_AS_IS, "application/octet-stream"})


def _views_for(user, attachments):
    """File views with the handling code of each file's case, one access answer per case."""
    answers: dict[int, object] = {}
    views = []
    for attachment in attachments:
        case = case_of(attachment)
        access = None
        if case is not None:
            if case.pk not in answers:
                answers[case.pk] = case_access(user, case)
            access = answers[case.pk]
        view = file_view(attachment, access)
        view.case = case
        views.append(view)
    return views


@extend_schema_view(
    list=extend_schema(
        summary="List the files you may see",
        description=LIST_DESCRIPTION,
        responses={200: FileSerializer(many=True), **problem_responses(*LIST_ERRORS)},
    ),
    retrieve=extend_schema(
        summary="Read one file's metadata",
        description="One file you may see: its record, kind, title, name, type, size, SHA-256 "
        "digest, status and the handling code that binds you. 404 for a file you may not see.",
        responses={200: FileSerializer, **problem_responses(*READ_ERRORS)},
    ),
    create=extend_schema(
        summary="Attach a file to a record",
        description=UPLOAD_DESCRIPTION,
        request={"multipart/form-data": FileUploadSerializer},
        responses={201: FileSerializer, **problem_responses(*WRITE_ERRORS, 413)},
    ),
)
class FileViewSet(
    VisibleQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Files on the records the caller sees (`Attachment.objects.visible_to`)."""

    queryset = (
        Attachment.objects.listed()
        .select_related(
            "case__lead_office",
            "message__case__lead_office",
            "request__case__lead_office",
            "answer__case__lead_office",
            "victim",
            "referral__victim",
            "update__referral__victim",
            "uploaded_by_office",
            "uploaded_by_partner",
        )
        .order_by("-uploaded_at", "-id")
    )
    serializer_class = FileSerializer
    filterset_class = AttachmentFilter
    lookup_field = "public_id"
    lookup_url_kwarg = "public_id"
    lookup_value_regex = r"[0-9a-fA-F-]{36}"
    http_method_names = ["get", "post", "head", "options"]
    parser_classes = [MultiPartParser, FormParser]  # uploads are multipart; nothing else posts

    def get_object(self):
        """The visible file by its id, read with its record (`one_with_its_record`)."""
        try:
            attachment = self.filter_queryset(self.get_queryset()).one_with_its_record(
                self.kwargs["public_id"], "uploaded_by_office", "uploaded_by_partner"
            )
        except (ValueError, TypeError, ValidationError):
            raise Http404("No such file.")
        if attachment is None:
            raise Http404("No such file.")
        self.check_object_permissions(self.request, attachment)
        return attachment

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        data = FileSerializer(
            _views_for(request.user, page), many=True, context=self.get_serializer_context()
        ).data
        return self.get_paginated_response(data)

    def retrieve(self, request, *args, **kwargs):
        (view,) = _views_for(request.user, [self.get_object()])
        return Response(FileSerializer(view, context=self.get_serializer_context()).data)

    def create(self, request, *args, **kwargs):
        serializer = FileUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        from evidence.views import record_for

        record_type = data["record_type"]
        key = data["record"]
        if record_type == RecordType.MESSAGE:
            from cases.models import Message

            record = (
                Message.objects.visible_to(request.user).filter(pk=int(key)).first()
                if key.isdigit() and len(key) < 16
                else None
            )
            if record is None:
                raise Http404("No such message.")
        else:
            if record_type in (RecordType.REQUEST, RecordType.REFERRAL) and not (
                key.isdigit() and len(key) < 16
            ):
                raise Http404("No such record.")
            record = record_for(request.user, record_type, key)
        try:
            (attachment,) = services.upload(
                acting_user=request.user,
                record=record,
                uploads=[data["file"]],
                title=data.get("title", ""),
                kind=data["kind"],
            )
        except services.FileRefused as exc:
            exc.field = "file"  # the API's one file field
            raise
        attachment = self.get_queryset().get(pk=attachment.pk)
        (view,) = _views_for(request.user, [attachment])
        return Response(
            FileSerializer(view, context=self.get_serializer_context()).data, status=201
        )

    @extend_schema(
        summary="Download a file",
        description="The file's bytes, streamed, as an attachment named with the handling code "
        "that binds you, the record and the file name. Compare the SHA-256 of what you receive "
        "with `sha256` (also sent as `X-File-SHA256`). 409 while the file is being checked.",
        responses={
            **{(200, media): OpenApiTypes.BINARY for media in CONTENT_TYPES},
            **problem_responses(*READ_ERRORS, 409),
        },
    )
    @action(detail=True, methods=["get"], url_path="content", url_name="content")
    def content(self, request, *args, **kwargs):
        attachment = self.get_object()
        if attachment.status == FileStatus.CHECKING:
            return problem(
                409,
                "This file is being checked for malware; it can be downloaded once checked.",
                title="Being checked",
            )
        return download_response(request.user, attachment, Door.API)
