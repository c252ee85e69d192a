"""The pages' doors: upload (several files, works without JavaScript), the message form with
files, and the streamed download. A file the user may not see is 404 on every door."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.views import View

from cases import forms as case_forms
from cases import services as case_services
from cases.access import case_access
from cases.models import CooperationRequest
from cases.querysets import get_case_for_user
from cases.views.case_page import case_page_context
from cases.views.requests import RequestDetailView
from evidence import services
from evidence.constants import SERVED_AS_IS, Door, FileStatus
from evidence.forms import UploadForm
from evidence.models import Attachment
from evidence.presentation import case_of, download_name, file_view
from evidence.querysets import AnswerOf
from evidence.scanning import get_scanner
from glo_act import submit_once
from glo_act.errors import ConflictError, DomainError
from glo_act.pages import add_domain_error, is_htmx
from victims.models import Referral, ReferralUpdate, Victim
from victims.views import ReferralActionView


def record_for(user, record_type: str, key: str):
    """The record a page adds files to, if the user sees it (else 404)."""
    if record_type == "case":
        return get_case_for_user(user, key)
    if record_type in ("request", "answer", "referral", "update") and not (
        str(key).isdigit() and len(str(key)) < 16
    ):
        raise Http404("No such record.")
    if record_type == "update":
        found = (
            ReferralUpdate.objects.filter(
                referral__in=Referral.objects.visible_to(user).values("pk"), pk=key
            )
            .select_related("referral__victim")
            .first()
        )
        if found is None:
            raise Http404("No such record.")
        return found
    lookups = {
        "request": (CooperationRequest, "pk"),
        "answer": (CooperationRequest, "pk"),
        "referral": (Referral, "pk"),
        "victim": (Victim, "code"),
    }
    if record_type not in lookups:
        raise Http404("No such record.")
    model, field = lookups[record_type]
    found = model.objects.visible_to(user).filter(**{field: key}).first() if key else None
    if found is None:
        raise Http404("No such record.")
    return AnswerOf(found) if record_type == "answer" else found


def record_url(record) -> str:
    if isinstance(record, AnswerOf):
        return record.get_absolute_url()
    if isinstance(record, ReferralUpdate):
        return f"{record.referral.get_absolute_url()}#update-{record.pk}"
    return record.get_absolute_url() + "#files"


def scanner_notice() -> str:
    """What the upload forms say when files are not really scanned (development only)."""
    if get_scanner().is_real:
        return ""
    return gettext(
        "Development scanner: files are checked for the EICAR test file only. Production scans "
        "every file with ClamAV."
    )


def _forbidden(exc: DomainError) -> DjangoPermissionDenied:
    """A page's 403 with the service's words (the record is seen, adding to it is not theirs)."""
    return DjangoPermissionDenied(exc.message)


class UploadView(LoginRequiredMixin, submit_once.SpentTokenMixin, View):
    """`/files/add/<record>/<key>/`: the upload form of one record, and its POST."""

    form_token = submit_once.WHEN_SENT  # spent after the upload: submit_once.remember

    template_name = "evidence/upload.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.record = record_for(request.user, kwargs["record_type"], kwargs["key"])
        return super().dispatch(request, *args, **kwargs)

    def render_form(self, form, status=200):
        context = {
            "form": form,
            "record": self.record,
            "record_type": self.kwargs["record_type"],
            "record_url": record_url(self.record),
            "scanner_notice": scanner_notice(),
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, record_type, key):
        try:
            services.check_can_add(request.user, self.record)
        except DomainError as exc:
            raise _forbidden(exc)
        return self.render_form(UploadForm())

    def post(self, request, record_type, key):
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                added = services.upload(
                    acting_user=request.user,
                    record=self.record,
                    uploads=form.cleaned_data["files"],
                    title=form.cleaned_data["title"],
                    kind=form.cleaned_data["kind"],
                )
            except DomainError as exc:
                if exc.status_code == 403:
                    raise _forbidden(exc)
                add_domain_error(form, exc)
            else:
                # Not in `submit_once.run`: an infected file's record must outlive its refusal.
                submit_once.remember(request, record_url(self.record))
                checking = sum(1 for a in added if a.status == FileStatus.CHECKING)
                text = f"{len(added)} file{'s' if len(added) != 1 else ''} added."
                if checking:
                    text += " Being checked for malware: they can be downloaded once checked."
                messages.success(request, text)
                return redirect(record_url(self.record))
        return self.render_form(form, status=422)


class MessageWithFilesView(LoginRequiredMixin, submit_once.SpentTokenMixin, View):
    """The case's message form when it carries files: the files are screened first, then the
    message is posted and its files added in one transaction (nothing of it on a refusal)."""

    form_token = submit_once.REQUIRED

    def post(self, request, reference):
        case = get_case_for_user(request.user, reference)
        access = case_access(request.user, case)
        if not access.can_message:
            raise Http404("No such case.")
        form = case_forms.MessageForm(request.POST)
        uploads = [f for f in request.FILES.getlist("files") if f]
        if form.is_valid():
            try:
                screened = services.screen_uploads(uploads) if uploads else []
                services.refuse_infected(request.user, case, screened)

                def post_with_files():
                    with transaction.atomic():
                        message = case_services.message_post(
                            acting_user=request.user, case=case, **form.cleaned_data
                        )
                        if screened:
                            services.attachments_add(
                                acting_user=request.user, record=message, files=screened
                            )
                    return message

                outcome = submit_once.run(
                    request,
                    post_with_files,
                    result_url=lambda message: case.get_absolute_url() + "#messages",
                    required=True,
                )
            except DomainError as exc:
                if exc.field == "files":
                    form.add_error(None, exc.message)
                else:
                    add_domain_error(form, exc)
            else:
                if not is_htmx(request):
                    if outcome.repeated:
                        messages.info(request, submit_once.ALREADY_SAVED)
                    else:
                        messages.success(request, gettext("Message posted."))
                    return redirect(outcome.url)
                context = case_page_context(request, case, message_form=case_forms.MessageForm())
                posted = "again" if outcome.repeated else True
                return render(request, "cases/_messages.html", {**context, "posted": posted})
        template = "cases/_messages.html" if is_htmx(request) else "cases/case_detail.html"
        context = case_page_context(request, case, message_form=form)
        return render(request, template, context, status=422)


def _stream(attachment: Attachment):
    yield from services.plaintext(attachment)


def download_response(user, attachment: Attachment, door: str):
    """The streamed download of a file the user sees (the caller looked it up through
    `Attachment.objects.visible_to(user)`). Never inline: `attachment` disposition, nosniff,
    and text as octet-stream, so no uploaded byte is ever rendered by the browser."""
    if attachment.status == FileStatus.CHECKING:
        return HttpResponse(
            "This file is being checked for malware; it can be downloaded once checked.",
            status=409,
            content_type="text/plain; charset=utf-8",
        )
    if attachment.status != FileStatus.AVAILABLE:
        raise Http404("No such file.")
    case = case_of(attachment)
    view = file_view(attachment, case_access(user, case) if case is not None else None)
    services.download_record(user=user, attachment=attachment, door=door)
    media_type = attachment.media_type if attachment.media_type in SERVED_AS_IS else None
    response = StreamingHttpResponse(
        _stream(attachment), content_type=media_type or "application/octet-stream"
    )
    response["Content-Length"] = str(attachment.size)
    response["Content-Disposition"] = content_disposition_header(True, download_name(view))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["X-File-SHA256"] = attachment.sha256
    return response


def visible_file_or_404(user, public_id) -> Attachment:
    """The file with this id if the user sees it (404 if not), with its record."""
    attachment = Attachment.objects.visible_to(user).one_with_its_record(public_id)
    if attachment is None:
        raise Http404("No such file.")
    return attachment


class DownloadView(LoginRequiredMixin, View):
    def get(self, request, public_id):
        attachment = visible_file_or_404(request.user, public_id)
        return download_response(request.user, attachment, Door.PAGE)


def upload_url(record_type: str, key) -> str:
    return reverse("evidence:upload", kwargs={"record_type": record_type, "key": str(key)})


def answer_url(req) -> str:
    return reverse("evidence:answer_post", kwargs={"pk": req.pk})


def update_action_url(referral, action: str) -> str:
    return reverse("evidence:update_post", kwargs={"pk": referral.pk, "action": action})


def _files_error(form, exc: DomainError) -> None:
    if exc.field == "files":
        form.add_error(None, exc.message)
    else:
        add_domain_error(form, exc)


class AnswerWithFilesView(RequestDetailView):
    """The answer form of a request when it carries files: the files are screened first, then
    the answer is sent and its files added in one transaction (nothing of it on a refusal).
    The answer's own notification tells the requesting office; the files come with it."""

    form_token = submit_once.WHEN_SENT  # the request's state refuses a second answer

    def post(self, request, *args, **kwargs):
        req = self.object
        form = case_forms.AnswerForm(request.POST, overdue=req.is_overdue)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(answer_form=form), status=422)
        uploads = [f for f in request.FILES.getlist("files") if f]
        try:
            screened = services.screen_uploads(uploads) if uploads else []
            # An infected file is kept for HQ on the request: the answer is not there yet.
            services.refuse_infected(request.user, req, screened)

            def answer_with_files():
                with transaction.atomic():
                    answered = case_services.request_answer(
                        acting_user=request.user,
                        request=req,
                        answer=form.cleaned_data["answer"],
                        late_reason=form.cleaned_data.get("late_reason") or "",
                    )
                    if screened:
                        services.attachments_add(
                            acting_user=request.user,
                            record=AnswerOf(answered),
                            files=screened,
                            announce=False,
                        )
                return answered

            outcome = submit_once.run(
                request,
                answer_with_files,
                result_url=lambda answered: req.get_absolute_url(),
                required=False,  # the request's state refuses a second answer anyway
            )
        except DomainError as exc:
            if exc.field != "files" and exc.field not in form.fields:
                messages.error(request, exc.message)
                return redirect(req.get_absolute_url())
            _files_error(form, exc)
            return self.render_to_response(self.get_context_data(answer_form=form), status=422)
        if outcome.repeated:
            messages.info(request, submit_once.ALREADY_SAVED)
        else:
            count = len(screened)
            messages.success(
                request,
                "Answer sent"
                + (f" with {count} file{'s' if count != 1 else ''}." if count else "."),
            )
        return redirect(req.get_absolute_url() + "#answer")


class UpdateWithFilesView(ReferralActionView):
    """A referral's action form (progress, decline, complete, close, revoke…) with files: the
    files are screened first, then the action runs and its files go on the update it writes, in
    one transaction. The action's own notification tells the other party."""

    form_token = submit_once.REQUIRED  # a progress report adds an update each time

    def post(self, request, pk, action):
        form = self.form_class(request.POST)
        uploads = [f for f in request.FILES.getlist("files") if f]
        if form.is_valid():
            try:
                screened = services.screen_uploads(uploads) if uploads else []
                services.refuse_infected(request.user, self.referral, screened)

                def act_with_files():
                    with transaction.atomic():
                        referral = self.call(request.user, self.referral, form.cleaned_data)
                        if screened:
                            # The update the action just wrote (the referral is locked by it).
                            update = (
                                ReferralUpdate.objects.filter(
                                    referral=referral, author=request.user
                                )
                                .select_related("referral__victim")
                                .latest("id")
                            )
                            services.attachments_add(
                                acting_user=request.user,
                                record=update,
                                files=screened,
                                announce=False,
                            )
                    return referral

                outcome = submit_once.run(
                    request,
                    act_with_files,
                    result_url=lambda referral: referral.get_absolute_url() + "#updates",
                    required=action == "progress",
                )
            except ConflictError as exc:  # the referral moved on since the page was drawn
                if uploads:
                    messages.warning(
                        request,
                        "Nothing was saved, and a browser cannot keep chosen files: attach "
                        "them again before you save.",
                    )
                return self.conflict(form, exc)
            except DomainError as exc:
                _files_error(form, exc)
            else:
                if outcome.repeated:
                    messages.info(request, submit_once.ALREADY_SAVED)
                    return redirect(outcome.url)
                referral = outcome.result
                messages.success(
                    request,
                    self.message.format(office=referral.from_office.name, partner=referral.partner),
                )
                return redirect(outcome.url)
        return self.render_form(form, status=422)
