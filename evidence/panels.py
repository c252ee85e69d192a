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


def _record_files(request, record, context, *, record_type: str, key, may_add: bool, **extra):
    from evidence.views import scanner_notice, upload_url

    access = None
    case = getattr(record, "case", None)
    if case is not None:
        from cases.access import case_access

        access = case_access(request.user, case)
    context["files"] = _views(
        Attachment.objects.visible_to(request.user).listed().on(record), access
    )
    if may_add:
        context["files_upload_url"] = upload_url(record_type, key)
        context["files_form"] = context.get("files_form") or UploadForm()
        context["scanner_notice"] = scanner_notice()
    context.update(extra)
    context["page_panels"].append("evidence/_files.html")


def request_files(request, req, context) -> None:
    """A cooperation request's files: its two parties' (the page is theirs alone)."""
    _record_files(request, req, context, record_type="request", key=req.pk, may_add=True)


def referral_files(request, referral, context) -> None:
    _record_files(request, referral, context, record_type="referral", key=referral.pk, may_add=True)


def victim_files(request, victim, context) -> None:
    """A victim's documents, for those who see every personal field; named by kind only on
    the page (the download, a recorded read of personal data, carries the name)."""
    may_add = getattr(victim, "can_change", None)
    if may_add is None:  # the victims page annotates it on the victim; else ask the rule
        from victims.models import Victim

        may_add = Victim.objects.restrict(request.user, "change").filter(pk=victim.pk).exists()
    _record_files(
        request,
        victim,
        context,
        record_type="victim",
        key=victim.code,
        may_add=may_add,
        files_hide_names=True,
    )
    if not context["files"] and not may_add:
        context["page_panels"].remove("evidence/_files.html")


extend_page("case", case_files)
extend_page("request", request_files)
extend_page("referral", referral_files)
# The victim page's documents section is not registered yet: on a phone it widens the page
# (tests/browser/test_pages_on_a_phone.py). A victim's documents are reached through the API.
