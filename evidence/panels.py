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


def _record_files(
    request, record, context, *, record_type: str, key, may_add: bool, rows=None, **extra
):
    from evidence.views import scanner_notice, upload_url

    access = None
    case = getattr(record, "case", None)
    if case is not None:
        from cases.access import case_access

        access = case_access(request.user, case)
    if rows is None:
        rows = _views(Attachment.objects.visible_to(request.user).listed().on(record), access)
    context["files"] = rows
    if may_add:
        context["files_upload_url"] = upload_url(record_type, key)
        context["files_form"] = context.get("files_form") or UploadForm()
        context["scanner_notice"] = scanner_notice()
    context.update(extra)
    context["page_panels"].append("evidence/_files.html")


def request_files(request, req, context) -> None:
    """A cooperation request's files and its answer's (one query): the two parties' own. The
    answering party attaches files with its answer, and later to it."""
    from cases.access import case_access
    from evidence.views import answer_url, upload_url

    rows = _views(
        Attachment.objects.visible_to(request.user).listed().filter(Q(request=req) | Q(answer=req)),
        case_access(request.user, req.case),
    )
    context["answer_files"] = [row for row in rows if row.attachment.answer_id]
    if context.get("can_answer"):
        context["answer_files_url"] = answer_url(req)
    elif req.answer and _answers(request.user, req):
        context["answer_upload_url"] = upload_url("answer", req.pk)
    _record_files(
        request,
        req,
        context,
        record_type="request",
        key=req.pk,
        may_add=True,
        rows=[row for row in rows if row.attachment.request_id],
    )


def _answers(user, req) -> bool:
    from liaison_offices.access import can_work_office, scope_of

    if req.to_office_id is not None:
        return can_work_office(user, req.to_office_id)
    return req.to_partner_id in scope_of(user).partner_ids


def referral_files(request, referral, context) -> None:
    """A referral's files and its updates' (one query), seen by its two parties; each update
    lists its own files, and its author may add more."""
    from evidence.views import upload_url

    rows = _views(
        Attachment.objects.visible_to(request.user)
        .listed()
        .filter(Q(referral=referral) | Q(update__referral=referral))
    )
    by_update: dict[int, list] = {}
    for row in rows:
        if row.attachment.update_id:
            by_update.setdefault(row.attachment.update_id, []).append(row)
    for update in context.get("updates") or []:
        update.files = by_update.get(update.pk, [])
        if update.author_id == request.user.pk:
            update.files_upload_url = upload_url("update", update.pk)
    _record_files(
        request,
        referral,
        context,
        record_type="referral",
        key=referral.pk,
        may_add=True,
        rows=[row for row in rows if row.attachment.referral_id],
    )


def referral_action_files(request, referral, context) -> None:
    """The referral's action forms (progress, decline, complete, close…) take files: they go
    on the update the action writes."""
    from evidence.views import scanner_notice, update_action_url

    action = context.get("action")
    if action:
        context["update_files_url"] = update_action_url(referral, action)
        context["scanner_notice"] = scanner_notice()


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
extend_page("referral_action", referral_action_files)
extend_page("victim", victim_files)
