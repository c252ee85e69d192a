"""Sending a cooperation request, and one request's page: answer, close, its thread."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext

from cases import forms as case_forms
from cases import services
from cases.constants import (
    RequestStatus,
)
from cases.models import (
    Case,
    CaseShare,
    CooperationRequest,
    Message,
)
from cases.views.access import PageAccess, case_access, case_or_404
from cases.views.case_page import CaseFormBase
from glo_act import submit_once
from glo_act.errors import DomainError
from glo_act.pages import (
    PageView,
    VisibleMixin,
    add_domain_error,
    get_visible_or_404,
    page_extensions,
)
from liaison_offices.access import can_work_office, scope_of
from liaison_offices.constants import HQ_CODE
from liaison_offices.models import LinkOffice, PartnerOrganisation

__all__ = ["RequestCreateView", "RequestDetailView", "request_senders"]


def request_senders(user, case: Case, access: PageAccess) -> list[LinkOffice]:
    """Offices the user may send a request from on this case: HQ for HQ; the lead office if
    they work it; else offices they work that hold a live share of it.
    """
    scope = scope_of(user)
    if scope.is_hq:
        # HQ asks in its own name, not in the lead office's.
        return list(LinkOffice.objects.filter(code=HQ_CODE)) or [case.lead_office]
    if can_work_office(user, case.lead_office_id):
        return [case.lead_office]
    return [share.office for share in access.passable_shares]


class RequestCreateView(CaseFormBase):
    form_token = submit_once.REQUIRED
    template_name = "cases/request_form.html"
    form_class = case_forms.RequestForm
    action = "view"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.case = case_or_404(request, kwargs["reference"])
        self.access = case_access(request.user, self.case)
        self.senders = request_senders(request.user, self.case, self.access)
        if not self.senders:
            messages.error(
                request, gettext("Only an office that holds this case can send requests.")
            )
            return redirect(self.case)
        return super(CaseFormBase, self).dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        sender = self.senders[0]
        # Who can be asked: whoever sees the case — its lead office and its live recipients.
        live = CaseShare.objects.live().filter(case=self.case)  # scoped: a case they see
        if sender.code != HQ_CODE and sender.pk != self.case.lead_office_id:
            # A recipient office does not learn who else holds the case: it asks the lead
            # office, or those it passed the case on to (as `request_create` allows).
            live = live.filter(passed_on_from__office=sender)
        offices = (
            LinkOffice.objects.filter(
                Q(pk=self.case.lead_office_id) | Q(pk__in=live.values("office_id"))
            )
            .exclude(pk=sender.pk)
            .order_by("code")
        )
        partners = PartnerOrganisation.objects.filter(
            is_active=True, pk__in=live.values("partner_id")
        ).order_by("name")
        return {**super().get_form_kwargs(), "offices": offices, "partners": partners}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "sender": self.senders[0]}

    def perform(self, form):
        data = form.cleaned_data
        recipient = data["recipient"]
        return services.request_create(
            acting_user=self.request.user,
            case=self.case,
            from_office=self.senders[0],
            kind=data["kind"],
            urgency=data["urgency"],
            question=data["question"],
            due_at=data.get("due_at"),
            to_office=recipient if isinstance(recipient, LinkOffice) else None,
            to_partner=recipient if isinstance(recipient, PartnerOrganisation) else None,
        )

    def get_success_message(self, form):
        request = self.result
        from glo_act.templatetags.local_time import when

        return gettext("Request sent to %(recipient)s; due %(when)s.") % {
            "recipient": request.recipient,
            "when": when(request.due_at),
        }

    def get_success_url(self):
        return reverse("cases:request", kwargs={"pk": self.result.pk})


class RequestDetailView(VisibleMixin, submit_once.SpentTokenMixin, PageView):
    """One request: the question, the answer (or the form to answer), its thread."""

    form_token = submit_once.REQUIRED

    model = CooperationRequest
    template_name = "cases/request_detail.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.object = get_visible_or_404(
            self.visible().select_related(
                "case", "case__lead_office", "from_office", "to_office", "to_partner"
            ),
            pk=kwargs["pk"],
        )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        user = self.request.user
        req = self.object
        scope = scope_of(user)
        is_recipient = (
            req.to_office_id is not None and can_work_office(user, req.to_office_id)
        ) or (req.to_partner_id is not None and req.to_partner_id in scope.partner_ids)
        is_sender = can_work_office(user, req.from_office_id)
        context = {
            **super().get_context_data(**kwargs),
            "req": req,
            "case": req.case,
            "can_answer": is_recipient and req.status == RequestStatus.OPEN,
            "can_close": is_sender and req.status != RequestStatus.CLOSED,
            "case_visible": Case.objects.visible_to(user).filter(pk=req.case_id).exists(),
            "thread": list(
                Message.objects.visible_to(user)
                .filter(request=req)
                .select_related("author", "author_office", "author_partner")
                .order_by("created_at", "id")
            ),
        }
        if context["can_answer"]:
            context.setdefault("answer_form", case_forms.AnswerForm(overdue=req.is_overdue))
        context.setdefault("message_form", case_forms.MessageForm())
        # Sections other apps add (the evidence app's files): glo_act.pages.extend_page.
        return page_extensions("request", self.request, req, context)

    def post(self, request, *args, **kwargs):
        """Answer, close, or post to the thread — each a service call; errors shown inline.

        Each goes through `submit_once.run`: a message needs the form's token (it creates
        something); an answer or a close checks it when sent (the request's state refuses a
        replay anyway).
        """
        req = self.object
        what = request.POST.get("action")

        def once(perform, *, required=False):
            outcome = submit_once.run(
                request, perform, result_url=lambda result: request.path, required=required
            )
            if outcome.repeated:
                messages.info(request, submit_once.ALREADY_SAVED)
            return outcome

        try:
            if what == "answer":
                form = case_forms.AnswerForm(request.POST, overdue=req.is_overdue)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(answer_form=form))
                try:
                    outcome = once(
                        lambda: services.request_answer(
                            acting_user=request.user,
                            request=req,
                            answer=form.cleaned_data["answer"],
                            late_reason=form.cleaned_data.get("late_reason") or "",
                            reliability=form.cleaned_data["reliability"],
                            accuracy=form.cleaned_data["accuracy"],
                        )
                    )
                except DomainError as exc:
                    if exc.field not in form.fields:
                        raise  # not about what they typed: said on top, after the redirect
                    add_domain_error(form, exc)
                    return self.render_to_response(self.get_context_data(answer_form=form))
                if not outcome.repeated:
                    messages.success(request, gettext("Answer sent."))
            elif what == "close":
                if not request.POST.get("confirm"):
                    messages.error(request, gettext("Tick “Yes, close it” to close the request."))
                    return HttpResponseRedirect(request.path)
                outcome = once(
                    lambda: services.request_close(
                        acting_user=request.user,
                        request=req,
                        reason=request.POST.get("reason", ""),
                    )
                )
                if not outcome.repeated:
                    messages.success(request, gettext("Request closed."))
            elif what == "message":
                form = case_forms.MessageForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(message_form=form))
                try:
                    outcome = once(
                        lambda: services.message_post(
                            acting_user=request.user,
                            case=req.case,
                            request=req,
                            **form.cleaned_data,
                        ),
                        required=True,
                    )
                except DomainError as exc:
                    if exc.field not in form.fields and not isinstance(
                        exc, submit_once.MissingFormToken
                    ):
                        raise
                    add_domain_error(form, exc)
                    return self.render_to_response(self.get_context_data(message_form=form))
                if not outcome.repeated:
                    messages.success(request, gettext("Message posted."))
            else:
                raise Http404("No such action.")
        except DomainError as exc:
            messages.error(request, exc.message)
        return HttpResponseRedirect(request.path)
