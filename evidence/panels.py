"""The files sections this app adds to the record pages (glo_act.pages.extend_page)."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse

from evidence.forms import UploadForm
from evidence.models import Attachment
from evidence.presentation import file_view
from glo_act.pages import extend_page


def _views(queryset, access=None):
    return [
        file_view(a, access)
        for a in queryset.select_related("uploaded_by", "uploaded_by_office", "uploaded_by_partner")
    ]


def case_files(request, case, context) -> None:
    """The case's files, and its messages' files in the thread (both need a FULL view)."""
    access = context.get("access")
    if access is None or not access.sees_full:
        return
    user = request.user
    from evidence.views import scanner_notice, upload_url

    messages = context.get("messages_list") or []
    # One query for the case's files and those of the messages shown.
    rows = _views(
        Attachment.objects.visible_to(user)
        .listed()
        .filter(Q(case=case) | Q(message__in=[m.pk for m in messages])),
        access.answer,
    )
    context["files"] = [row for row in rows if row.attachment.case_id]
    by_message: dict[int, list] = {}
    for row in rows:
        if row.attachment.message_id:
            by_message.setdefault(row.attachment.message_id, []).append(row)
    for message in messages:
        message.files = by_message.get(message.pk, [])
    context["files_upload_url"] = upload_url("case", case.reference)
    context["files_form"] = context.get("files_form") or UploadForm()
    context["scanner_notice"] = scanner_notice()
    context["message_files_url"] = reverse("evidence:message_post", args=[case.reference])
    context["page_panels"].append("evidence/_files.html")


extend_page("case", case_files)
