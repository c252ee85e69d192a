"""HQ's door to files: the list (malware quarantine first), quarantine and delete with a reason
kept in the audit, the download (recorded, door=admin), and the download log.

Titles and file names are not shown in the lists: a victim's document's name is personal data.
Every change goes through `evidence.services`.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from evidence import services
from evidence.constants import Door, FileStatus
from evidence.forms import ReasonForm
from evidence.models import Attachment, FileDownload
from glo_act.errors import DomainError


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = [
        "public_id",
        "record_label",
        "kind",
        "status",
        "signature",
        "media_type",
        "size",
        "uploaded_by",
        "uploaded_at",
    ]
    list_filter = ["status", "kind", "media_type"]
    search_fields = ["public_id", "sha256", "case__reference", "victim__code"]
    date_hierarchy = "uploaded_at"
    readonly_fields = [
        "public_id",
        "record_label",
        "kind",
        "media_type",
        "size",
        "sha256",
        "status",
        "scanner",
        "signature",
        "scanned_at",
        "uploaded_by",
        "uploaded_by_office",
        "uploaded_by_partner",
        "uploaded_at",
        "withdrawn_at",
        "withdrawn_by",
        "withdrawn_reason",
        "actions_links",
    ]
    fields = readonly_fields
    actions = None

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related(
                "case",
                "victim",
                "uploaded_by",
                "message__case",
                "request__case",
                "answer__case",
                "update",
            )
        )

    @admin.display(description="record")
    def record_label(self, obj: Attachment) -> str:
        record = obj.record
        if obj.case_id:
            return f"case {record.reference}"
        if obj.message_id:
            return f"message on {record.case.reference}"
        if obj.request_id:
            return f"request on {record.case.reference}"
        if obj.answer_id:
            return f"answer to a request on {record.case.reference}"
        if obj.update_id:
            return f"update of referral {record.referral_id}"
        if obj.victim_id:
            return f"victim {record.code}"
        return f"referral {obj.referral_id}"

    @admin.display(description="do")
    def actions_links(self, obj: Attachment) -> str:
        if obj.pk is None or obj.status == FileStatus.DELETED:
            return "—"
        links = []
        if obj.status == FileStatus.AVAILABLE:
            links.append(("Download", reverse("admin:evidence_attachment_download", args=[obj.pk])))
        if obj.status not in (FileStatus.QUARANTINED, FileStatus.INFECTED):
            links.append(
                ("Quarantine…", reverse("admin:evidence_attachment_quarantine", args=[obj.pk]))
            )
        links.append(("Delete…", reverse("admin:evidence_attachment_remove", args=[obj.pk])))
        return format_html(
            " · ".join(['<a href="{}">{}</a>'] * len(links)),
            *[part for label, url in links for part in (url, label)],
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return request.method == "GET"  # a read-only change page; changes have their own views

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # "Delete…" keeps the row and the reason; the admin's delete would not

    def get_urls(self):
        own = [
            path(
                "<int:object_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name="evidence_attachment_download",
            ),
            path(
                "<int:object_id>/quarantine/",
                self.admin_site.admin_view(self.reason_view),
                {"what": "quarantine"},
                name="evidence_attachment_quarantine",
            ),
            path(
                "<int:object_id>/remove/",
                self.admin_site.admin_view(self.reason_view),
                {"what": "delete"},
                name="evidence_attachment_remove",
            ),
        ]
        return own + super().get_urls()

    def download_view(self, request, object_id):
        from evidence.views import download_response

        attachment = get_object_or_404(Attachment, pk=object_id)
        return download_response(request.user, attachment, Door.ADMIN)

    def reason_view(self, request, object_id, what):
        attachment = get_object_or_404(Attachment, pk=object_id)
        form = ReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            action = (
                services.attachment_quarantine
                if what == "quarantine"
                else (services.attachment_delete)
            )
            try:
                action(
                    acting_user=request.user,
                    attachment=attachment,
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                done = "quarantined" if what == "quarantine" else "deleted"
                messages.success(request, f"File {attachment.public_id} {done}.")
                return HttpResponseRedirect(
                    reverse("admin:evidence_attachment_change", args=[attachment.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": attachment,
            "title": f"{what.title()} file {attachment.public_id}",
            "form": form,
            "what": what,
        }
        return TemplateResponse(request, "admin/evidence/attachment/reason.html", context)


@admin.register(FileDownload)
class FileDownloadAdmin(admin.ModelAdmin):
    """Every download: read-only, for audit."""

    list_display = ["at", "user", "attachment", "door"]
    list_filter = ["door"]
    search_fields = ["attachment__public_id", "user__username"]
    date_hierarchy = "at"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "attachment")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
