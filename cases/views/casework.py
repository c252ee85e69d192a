"""Who works a case, on the pages: assign one case, reassign an officer's cases, flag a case,
see what is due, hand a case over to another office and answer hand-overs
(`cases.services.casework`, docs/casework.md)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.views import View

from cases import forms as case_forms
from cases import services
from cases.constants import OPEN_STATUSES, HandOverStatus, RequestStatus
from cases.models import Case, CaseFlag, CooperationRequest, HandOver
from cases.views.case_page import CaseFormBase
from cases.views.lists import DUE_SOON
from glo_act import submit_once
from glo_act.errors import DomainError
from glo_act.pages import DomainFormView, PageView, add_domain_error
from liaison_offices.access import can_work_office, scope_of
from liaison_offices.constants import OfficeStatus, Role
from liaison_offices.models import LinkOffice, Membership

__all__ = [
    "CaseAssignView",
    "CaseReassignView",
    "DueView",
    "FlagAddView",
    "FlagClearView",
    "HandOverDecideView",
    "HandOverListView",
    "HandOverRequestView",
]


class CaseAssignView(CaseFormBase):
    """Assign the case to an officer of its lead office, or unassign it."""

    form_token = submit_once.WHEN_SENT

    template_name = "cases/part_form.html"
    form_class = case_forms.AssignForm

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "officers": services.officers_of(self.case.lead_office),
        }

    def get_initial(self):
        return {"officer": self.case.assigned_to_id}

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "heading": gettext("Assign the case"),
            "button": gettext("Save"),
        }

    def perform(self, form):
        return services.case_assign(
            acting_user=self.request.user, case=self.case, officer=form.cleaned_data["officer"]
        )

    def get_success_message(self, form):
        officer = form.cleaned_data["officer"]
        if officer is None:
            return gettext("%(reference)s is unassigned.") % {"reference": self.case.reference}
        return gettext("%(reference)s is assigned to %(officer)s.") % {
            "reference": self.case.reference,
            "officer": officer.get_full_name() or officer,
        }

    def get_success_url(self):
        return self.case.get_absolute_url() + "#assignment"


def supervised_offices(user):
    """The offices whose cases `user` may reassign: every active office for HQ, else those
    they are an office lead of (and may work)."""
    offices = LinkOffice.objects.filter(status=OfficeStatus.ACTIVE).order_by("code")
    if scope_of(user).is_hq:
        return offices
    led = Membership.objects.filter(
        user=user, role=Role.OFFICE_LEAD, ended_at__isnull=True, office__isnull=False
    ).values_list("office_id", flat=True)
    return offices.filter(pk__in=[pk for pk in led if can_work_office(user, pk)])


class CaseReassignView(DomainFormView):
    """Bulk reassignment for an office lead or HQ: one officer's cases to another, after one
    confirmation, with one summary."""

    form_token = submit_once.WHEN_SENT

    template_name = "cases/reassign.html"
    form_class = case_forms.ReassignForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.offices = supervised_offices(request.user)
        if not self.offices.exists():
            raise Http404("Only office leads and HQ reassign cases.")
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def office(self) -> LinkOffice:
        data = self.request.POST if self.request.method == "POST" else self.request.GET
        wanted = data.get("office")
        offices = list(self.offices)
        chosen = next((o for o in offices if str(o.pk) == wanted), None)
        return chosen or offices[0]

    @cached_property
    def from_officer_id(self):
        data = self.request.POST if self.request.method == "POST" else self.request.GET
        value = data.get("from_officer") or ""
        return int(value) if value.isdigit() else None

    def candidate_cases(self):
        cases = Case.objects.restrict(self.request.user, "change").filter(
            lead_office=self.office, status__in=sorted(OPEN_STATUSES)
        )
        cases = (
            cases.filter(assigned_to_id=self.from_officer_id)
            if self.from_officer_id
            else (cases.filter(assigned_to__isnull=True))
        )
        return list(cases.only("pk", "reference", "title").order_by("reference")[:500])

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self.request.method == "GET" and self.request.GET:
            kwargs["initial"] = {**kwargs.get("initial", {}), **self.request.GET.dict()}
        return {
            **kwargs,
            "offices": self.offices,
            "officers": services.officers_of(self.office),
            "cases": self.candidate_cases(),
        }

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "office": self.office,
            "candidates": self.candidate_cases(),
        }

    def form_valid(self, form):
        data = form.cleaned_data
        chosen = None if data["which"] == "all" else [int(pk) for pk in data["cases"]]
        if not self.request.POST.get("confirmed"):
            if data["office"].pk != self.office.pk:  # the office changed: choose again
                return self.form_invalid(form)
            count = len(chosen) if chosen is not None else len(self.candidate_cases())
            return render(
                self.request,
                "cases/reassign_confirm.html",
                {"form": form, "data": data, "count": count, "office": self.office},
            )
        try:
            moved = services.cases_reassign(
                acting_user=self.request.user,
                office=data["office"],
                from_officer=data["from_officer"],
                to_officer=data["to_officer"],
                cases=chosen,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
            return self.form_invalid(form)
        to = data["to_officer"]
        messages.success(
            self.request,
            f"{len(moved)} case{'s' if len(moved) != 1 else ''} of {data['office'].code} "
            f"reassigned to {to.get_full_name() or to}: "
            + ", ".join(case.reference for case in moved[:10])
            + (f" and {len(moved) - 10} more." if len(moved) > 10 else "."),
        )
        whose = data["from_officer"].pk if data["from_officer"] else ""
        return redirect(f"{self.request.path}?office={data['office'].pk}&from_officer={whose}")


class FlagAddView(CaseFormBase):
    """Flag the case with a reason and an optional date (the lead office, or HQ)."""

    form_token = submit_once.REQUIRED

    template_name = "cases/part_form.html"
    form_class = case_forms.FlagForm

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "heading": "Flag the case"}

    def perform(self, form):
        return services.flag_add(acting_user=self.request.user, case=self.case, **form.cleaned_data)

    def get_success_message(self, form):
        return gettext("Flagged: %(flag)s.") % {"flag": self.result}

    def get_success_url(self):
        return self.case.get_absolute_url() + "#flags"


class FlagClearView(CaseFormBase):
    """Clear a flag, after a confirmation step."""

    form_token = submit_once.WHEN_SENT

    template_name = "cases/confirm.html"
    form_class = case_forms.ConfirmForm

    @cached_property
    def flag(self) -> CaseFlag:
        flag = CaseFlag.objects.filter(
            case=self.case, pk=self.kwargs["pk"], cleared_at__isnull=True
        ).first()
        if flag is None:
            raise Http404("No such flag.")
        return flag

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "heading": gettext("Clear this flag?"),
            "subject": str(self.flag),
            "consequence": gettext(
                "It is no longer shown or reminded; the timeline keeps what it said."
            ),
            "button": gettext("Clear the flag"),
        }

    def perform(self, form):
        return services.flag_clear(acting_user=self.request.user, flag=self.flag)

    def get_success_message(self, form):
        return gettext("Flag cleared: %(flag)s.") % {"flag": self.flag}

    def get_success_url(self):
        return self.case.get_absolute_url() + "#flags"


class DueView(PageView):
    """What is due: open cooperation requests overdue or due within three days, to or from
    the user's desks, and the flags of the cases they work dated within a week or past."""

    template_name = "cases/due.html"
    FLAG_HORIZON = dt.timedelta(days=7)
    LIMIT = 100

    def get_context_data(self, **kwargs):
        user = self.request.user
        now = timezone.now()
        today = timezone.localdate()
        requests = list(
            CooperationRequest.objects.visible_to(user)
            .filter(status=RequestStatus.OPEN, due_at__lt=now + DUE_SOON)
            .select_related("case", "from_office", "to_office", "to_partner")
            .order_by("due_at", "id")[: self.LIMIT]
        )
        flags = list(
            CaseFlag.objects.filter(
                cleared_at__isnull=True,
                due_on__lte=today + self.FLAG_HORIZON,
                case__in=Case.objects.restrict(user, "change").exclude(status="closed"),
            )
            .select_related("case")
            .order_by("due_on", "id")[: self.LIMIT]
        )
        return {
            **super().get_context_data(**kwargs),
            "now": now,
            "today": today,
            "overdue": [r for r in requests if r.due_at < now],
            "due_soon": [r for r in requests if r.due_at >= now],
            "flags": flags,
        }


class HandOverRequestView(CaseFormBase):
    """The lead office offers the case to another office."""

    form_token = submit_once.REQUIRED

    template_name = "cases/part_form.html"
    form_class = case_forms.HandOverForm

    def get_form_kwargs(self):
        offices = (
            LinkOffice.objects.filter(status=OfficeStatus.ACTIVE)
            .exclude(pk=self.case.lead_office_id)
            .order_by("code")
        )
        return {**super().get_form_kwargs(), "offices": offices}

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "heading": gettext("Hand the case over to another office"),
            "button": gettext("Ask them to take it"),
            "intro": gettext(
                "The other office (or HQ) accepts or declines. Until then nothing changes; "
                "once accepted they lead the case, its reference stays the same, and your office "
                "keeps the share you choose here."
            ),
        }

    def perform(self, form):
        return services.handover_request(
            acting_user=self.request.user, case=self.case, **form.cleaned_data
        )

    def get_success_message(self, form):
        return gettext(
            "%(reference)s offered to %(office)s; you will be told when they answer."
        ) % {
            "reference": self.case.reference,
            "office": form.cleaned_data["to_office"].code,
        }

    def get_success_url(self):
        return self.result.get_absolute_url()


class HandOverListView(PageView):
    """Hand-overs to and from the user's desks: the pending first, then the decided."""

    template_name = "cases/handovers.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        scope = scope_of(user)
        rows = list(
            HandOver.objects.visible_to(user)
            .select_related("case", "from_office", "to_office", "requested_by", "decided_by")
            .order_by("-requested_at", "-id")[:100]
        )
        for row in rows:
            row.can_decide = row.is_pending and (
                scope.is_hq or row.to_office_id in scope.change_office_ids
            )
            row.can_withdraw = row.is_pending and (
                scope.is_hq or row.from_office_id in scope.change_office_ids
            )
        return {
            **super().get_context_data(**kwargs),
            "pending": [row for row in rows if row.is_pending],
            "decided": [row for row in rows if not row.is_pending],
            "decline_form": kwargs.get("decline_form") or case_forms.DeclineForm(),
        }


class HandOverDecideView(LoginRequiredMixin, submit_once.SpentTokenMixin, View):
    """POST accept / decline (with a reason) / withdraw one hand-over."""

    form_token = submit_once.WHEN_SENT

    def post(self, request, pk: int, decision: str):
        handover = HandOver.objects.visible_to(request.user).filter(pk=pk).first()
        if handover is None or decision not in ("accept", "decline", "withdraw"):
            raise Http404("No such hand-over.")
        form = case_forms.DeclineForm(request.POST) if decision == "decline" else None
        try:
            if decision == "accept":
                services.handover_accept(acting_user=request.user, handover=handover)
            elif decision == "withdraw":
                services.handover_withdraw(acting_user=request.user, handover=handover)
            else:
                if not form.is_valid():
                    raise DomainError("Say why the hand-over is declined.", field="reason")
                services.handover_decline(
                    acting_user=request.user, handover=handover, **form.cleaned_data
                )
        except DomainError as exc:
            if form is None:
                messages.error(request, exc.message)
                return redirect(handover.get_absolute_url())
            add_domain_error(form, exc)
            view = HandOverListView(request=request, kwargs={})
            context = view.get_context_data(decline_form=form)
            context["decline_for"] = handover.pk
            return render(request, "cases/handovers.html", context, status=400)
        handover.refresh_from_db()
        word = HandOverStatus(handover.status).label.lower()
        messages.success(
            request,
            f"Hand-over of {handover.case.reference} to {handover.to_office.code} {word}.",
        )
        if decision == "accept":
            return redirect(handover.case)
        return redirect(handover.get_absolute_url())
