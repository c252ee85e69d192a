"""Opening a case and changing its record: edit (with the stale-edit merge), status, route
legs and suspects.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.functional import cached_property
from django.utils.translation import gettext, gettext_lazy

from cases import forms as case_forms
from cases import services
from cases.constants import (
    CaseOutcome,
    CaseStatus,
    Exploitation,
    LabourSector,
    MeansOfControl,
    RecruiterRelationship,
)
from cases.models import (
    JusticeEvent,
    RouteLeg,
)
from cases.views.access import case_or_404
from cases.views.case_page import CaseFormBase
from glo_act import submit_once
from glo_act.errors import ConflictError
from glo_act.pages import (
    DomainFormView,
    get_visible_or_404,
)
from liaison_offices.access import scope_of
from liaison_offices.constants import HQ_CODE, OfficeStatus
from liaison_offices.models import LinkOffice

__all__ = [
    "CaseCreateView",
    "CaseEditView",
    "CaseStatusView",
    "JusticeEventAddView",
    "JusticeEventWithdrawView",
    "PartRemoveView",
    "RouteLegAddView",
    "SuspectAddView",
    "describe_change",
]


def _workable_offices(user):
    """Active offices the user may open cases for (HQ: every active link office)."""
    scope = scope_of(user)
    offices = LinkOffice.objects.filter(status=OfficeStatus.ACTIVE).exclude(code=HQ_CODE)
    if not scope.is_hq:
        offices = offices.filter(pk__in=scope.change_office_ids)
    return offices.order_by("code")


def _record_fields(data: dict) -> dict:
    return {name: data.get(name) for name in services.EDITABLE_FIELDS}


class CaseCreateView(DomainFormView):
    form_token = submit_once.REQUIRED
    template_name = "cases/case_form.html"
    form_class = case_forms.CaseCreateForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.offices = _workable_offices(request.user)
            if not self.offices.exists():
                messages.error(request, gettext("Only link office officers can open cases."))
                return redirect("cases:list")
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "offices": self.offices}

    def perform(self, form):
        data = form.cleaned_data
        return services.case_create(
            acting_user=self.request.user,
            lead_office=data["lead_office"],
            kind=data["kind"],
            **_record_fields(data),
        )

    def get_success_message(self, form):
        return gettext("Case %(reference)s opened. Add its route and suspects below.") % {
            "reference": self.result.reference
        }

    def get_success_url(self):
        return self.result.get_absolute_url()


class CaseEditView(CaseFormBase):
    form_token = submit_once.WHEN_SENT
    template_name = "cases/case_form.html"
    form_class = case_forms.CaseEditForm
    success_message = gettext_lazy("Changes saved.")

    def get_initial(self):
        case = self.case
        return {
            "title": case.title,
            "summary": case.summary,
            "forms_of_exploitation": case.forms_of_exploitation,
            "labour_sector": case.labour_sector,
            "means_of_control": case.means_of_control,
            "recruiter_relationship": case.recruiter_relationship,
            "legal_provisions": list(case.legal_provisions.values_list("pk", flat=True)),
            "host_country_law": case.host_country_law,
            "version": case.version,
        }

    def perform(self, form):
        data = form.cleaned_data
        return services.case_update(
            acting_user=self.request.user,
            case=self.case,
            expected_version=data["version"],
            **_record_fields(data),
        )

    def conflict(self, form, exc: ConflictError):
        """A stale edit: say who changed what since, and keep the user's work.

        A field only the other person changed takes their value (the user had left it as it
        was, so saving must not undo their change); a field both changed keeps the user's input
        and is marked as a clash. The form then carries the current version, so saving again
        is a deliberate choice.
        """
        current = case_or_404(self.request, self.case.reference, "change")
        data = form.data.copy()
        data["version"] = current.version
        rows = []
        for name, (before, now) in exc.changes.items():
            row = {"name": name, **describe_change(name, before, now)}
            if name not in form.fields:
                row["outcome"] = "elsewhere"  # status, route, suspects: not on this form
            elif name != "legal_provisions" and _same(form.cleaned_data.get(name), before):
                row["outcome"] = "taken"
                if isinstance(now, list):
                    data.setlist(name, [str(v) for v in now])
                else:
                    data[name] = now or ""
            else:
                row["outcome"] = "clash"
            rows.append(row)
        form = self.get_form_class()(data=data)
        form.is_valid()
        return self.render_to_response(
            self.get_context_data(
                form=form,
                conflict=exc,
                conflict_changes=rows,
                clashes=[row for row in rows if row["outcome"] == "clash"],
            )
        )


def _same(mine, theirs) -> bool:
    """Is the user's submitted value the value the field had when they opened the page?"""
    if isinstance(theirs, list) or isinstance(mine, list | tuple):
        return sorted(map(str, mine or [])) == sorted(map(str, theirs or []))
    return (mine or "").strip() == (theirs or "").strip()


CHOICE_LABELS = {
    "status": CaseStatus,
    "outcome": CaseOutcome,
    "forms_of_exploitation": Exploitation,
    "means_of_control": MeansOfControl,
    "labour_sector": LabourSector,
    "recruiter_relationship": RecruiterRelationship,
}


def describe_change(name: str, before, now) -> dict:
    """A row of the conflict box: the field, its value when the user opened the page, now."""

    def show(value):
        if value in (None, "", []):
            return "—"
        choices = CHOICE_LABELS.get(name)
        values = value if isinstance(value, list) else [value]
        if choices is not None:
            labels = dict(choices.choices)
            values = [labels.get(v, v) for v in values]
        return ", ".join(str(v) for v in values)

    return {
        "field": name.replace("_", " ").capitalize(),
        "before": show(before),
        "now": show(now),
    }


class CaseStatusView(CaseFormBase):
    form_token = submit_once.WHEN_SENT
    template_name = "cases/case_status.html"
    form_class = case_forms.StatusForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "current": self.case.status}

    def get_initial(self):
        return {"version": self.case.version}

    def perform(self, form):
        data = form.cleaned_data
        return services.case_transition(
            acting_user=self.request.user,
            case=self.case,
            to_status=data["status"],
            outcome=data.get("outcome") or "",
            reason=data.get("reason") or "",
            expected_version=data["version"],
        )

    def get_success_message(self, form):
        return gettext("%(reference)s is now %(status)s.") % {
            "reference": self.case.reference,
            "status": self.result.get_status_display().lower(),
        }


class RouteLegAddView(CaseFormBase):
    form_token = submit_once.REQUIRED
    template_name = "cases/part_form.html"
    form_class = case_forms.RouteLegForm
    success_message = gettext_lazy("Route leg added.")
    heading = gettext_lazy("Add a route leg")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "heading": self.heading}

    def perform(self, form):
        return services.route_leg_add(
            acting_user=self.request.user, case=self.case, **form.cleaned_data
        )

    def get_success_url(self):
        return self.case.get_absolute_url() + "#route"


class SuspectAddView(RouteLegAddView):
    form_token = submit_once.REQUIRED
    form_class = case_forms.SuspectForm
    success_message = gettext_lazy("Suspect added.")
    heading = gettext_lazy("Add a suspect")

    def perform(self, form):
        return services.suspect_add(
            acting_user=self.request.user, case=self.case, **form.cleaned_data
        )

    def get_success_url(self):
        return self.case.get_absolute_url() + "#suspects"


class PartRemoveView(CaseFormBase):
    """Remove a route leg or a suspect, after a confirmation step."""

    form_token = submit_once.WHEN_SENT

    template_name = "cases/confirm.html"
    form_class = case_forms.ConfirmForm
    model = RouteLeg

    @cached_property
    def part(self):
        return get_visible_or_404(self.model.objects.filter(case=self.case), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        what = "route leg" if self.model is RouteLeg else "suspect"
        return {
            **super().get_context_data(**kwargs),
            "heading": f"Remove this {what}?",
            "subject": str(self.part),
            "consequence": f"The {what} is taken off {self.case.reference}; the timeline keeps "
            "a record of what it said.",
            "button": f"Remove {what}",
        }

    def perform(self, form):
        if self.model is RouteLeg:
            return services.route_leg_remove(acting_user=self.request.user, leg=self.part)
        return services.suspect_remove(acting_user=self.request.user, suspect=self.part)

    def get_success_message(self, form):
        return gettext("Removed: %(part)s.") % {"part": self.part}


class JusticeEventAddView(CaseFormBase):
    """Record a step of one suspect's case in the justice system (the lead office)."""

    form_token = submit_once.REQUIRED
    template_name = "cases/part_form.html"
    form_class = case_forms.JusticeEventForm
    success_message = gettext_lazy("Recorded.")

    @cached_property
    def suspect(self):
        return get_visible_or_404(self.case.suspects.all(), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        name = self.suspect.name or "an unnamed suspect"
        return {
            **super().get_context_data(**kwargs),
            "heading": f"Justice: {name}",
            "intro": gettext(
                "Arrest, charge, prosecution, court, verdict or sentence, with its date. "
                "A hand-over to another jurisdiction is a step, not a verdict."
            ),
            "button": gettext("Record"),
        }

    def perform(self, form):
        data = form.cleaned_data
        return services.justice_event_add(
            acting_user=self.request.user,
            suspect=self.suspect,
            stage=data["stage"],
            date=data["date"],
            country=data.get("country"),
            provision=data.get("provision"),
            authority=data.get("authority") or "",
            reference=data.get("reference") or "",
            verdict=data.get("verdict") or "",
            custody_months=data.get("custody_months"),
            fine=data.get("fine") or "",
            note=data.get("note") or "",
        )

    def get_success_url(self):
        return self.case.get_absolute_url() + f"#suspect-{self.suspect.pk}"


class JusticeEventWithdrawView(CaseFormBase):
    """Withdraw a justice line entered by mistake, with the reason."""

    form_token = submit_once.WHEN_SENT
    template_name = "cases/part_form.html"
    form_class = case_forms.WithdrawForm
    success_message = gettext_lazy("Withdrawn.")

    @cached_property
    def event(self):
        return get_visible_or_404(
            JusticeEvent.objects.visible_to(self.request.user)
            .filter(case=self.case, withdrawn_at__isnull=True)
            .select_related("suspect"),
            pk=self.kwargs["pk"],
        )

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "heading": gettext("Withdraw this line?"),
            "intro": f"{self.event.suspect.name or 'Unnamed suspect'}: {self.event}. The line "
            "stays on the record, struck out, and leaves the statistics.",
            "button": gettext("Withdraw"),
        }

    def perform(self, form):
        return services.justice_event_withdraw(
            acting_user=self.request.user, event=self.event, reason=form.cleaned_data["reason"]
        )

    def get_success_url(self):
        return self.case.get_absolute_url() + f"#suspect-{self.event.suspect_id}"
