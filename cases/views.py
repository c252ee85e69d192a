"""Pages of the cases app: the case list, the case page and its forms, cooperation requests.

Reads go through `visible_to(user)` (once per view, `glo_act.pages.VisibleMixin`) and
`get_case_for_user` (404 for a case the user may not see); writes go through `cases.services`.
What a share recipient sees of a case follows the share level (`CaseAccess`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Case as SqlCase
from django.db.models import CharField, Exists, IntegerField, OuterRef, Q, Subquery, Value, When
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views import View

from cases import forms as case_forms
from cases import services
from cases.constants import (
    OPEN_STATUSES,
    CaseOutcome,
    CaseStatus,
    Exploitation,
    HandlingCode,
    LabourSector,
    MeansOfControl,
    RecruiterRelationship,
    RequestStatus,
    ShareLevel,
    TimelineKind,
)
from cases.models import (
    Case,
    CaseShare,
    CooperationRequest,
    Message,
    RouteLeg,
    Suspect,
)
from cases.querysets import get_case_for_user, timeline_of
from glo_act.errors import ConflictError, DomainError
from glo_act.pages import (
    DomainFormView,
    PageView,
    VisibleMixin,
    add_domain_error,
    get_visible_or_404,
    is_htmx,
    paginate_bounded,
)
from liaison_offices.access import can_work_office, scope_of
from liaison_offices.constants import HQ_CODE, OfficeStatus
from liaison_offices.models import LinkOffice, PartnerOrganisation

# "Due" on the dashboard and in the request filters: open and due within this window.
DUE_SOON = dt.timedelta(days=3)
# How much history the case page shows (the rest is in the admin's history).
TIMELINE_LIMIT = 50
MESSAGE_LIMIT = 50
# Timeline lines that speak of other recipients or of requests between other offices: shown
# to the lead office and HQ only (a recipient sees its own share and its own requests).
OWNER_ONLY_TIMELINE = (
    TimelineKind.SHARED,
    TimelineKind.SHARE_REVOKED,
    TimelineKind.SHARE_EXPIRED,
    TimelineKind.REQUEST_SENT,
    TimelineKind.REQUEST_ANSWERED,
    TimelineKind.REQUEST_CLOSED,
    TimelineKind.VICTIM_LINKED,
)
STATUS_ORDER = SqlCase(
    *(When(status=value, then=Value(i)) for i, value in enumerate(CaseStatus.values)),
    output_field=IntegerField(),
)
SORTS = {
    "updated": ("-updated_at", "-id"),
    "reference": ("reference",),
    "status": ("status_order", "-updated_at", "-id"),
}


# --- what a user may see and do on one case -----------------------------------------------------


@dataclass
class CaseAccess:
    """The user's footing on one case: its lead office (or HQ), or a recipient of shares.

    Redaction by share level (DESIGN §3 and §4):
    - summary: reference, kind, status, title, summary, lead office, forms of exploitation;
    - full: everything else (taxonomy, route, suspects, legal basis, timeline, messages);
    - full with victims: also the victims' codes (their personal data is victims' business).
    """

    is_owner: bool
    can_change: bool
    shares_to_me: list[CaseShare] = field(default_factory=list)
    work_office_ids: frozenset[int] = frozenset()

    @property
    def level(self) -> int:
        if self.is_owner:
            return ShareLevel.FULL_WITH_VICTIMS
        return max((share.level for share in self.shares_to_me), default=0)

    @property
    def level_label(self) -> str:
        return ShareLevel(self.level).label if self.level else ""

    @property
    def sees_full(self) -> bool:
        return self.level >= ShareLevel.FULL

    @property
    def sees_victims(self) -> bool:
        return self.level >= ShareLevel.FULL_WITH_VICTIMS

    @property
    def can_message(self) -> bool:
        return self.sees_full

    @cached_property
    def passable_shares(self) -> list[CaseShare]:
        """Shares to an office the user works, through which the case may be passed on."""
        return [
            share
            for share in self.shares_to_me
            if share.office_id in self.work_office_ids and share.is_active()
        ]

    @property
    def held_only_under_h2(self) -> bool:
        return bool(self.passable_shares) and all(
            share.handling_code == HandlingCode.H2 for share in self.passable_shares
        )

    @property
    def can_share(self) -> bool:
        """The lead office shares; a recipient office passes on, unless it holds it under H2."""
        return self.can_change or (bool(self.passable_shares) and not self.held_only_under_h2)

    def can_revoke(self, share: CaseShare) -> bool:
        if share.revoked_at is not None:
            return False
        if self.can_change:
            return True
        return share.passed_on_from_id in {s.pk for s in self.passable_shares}


def case_access(user, case: Case, shares: list[CaseShare] | None = None) -> CaseAccess:
    """`shares`: the case's shares as `CaseShare.objects.visible_to(user)` returns them (read
    by the caller when it shows them anyway), else read here (one query).
    """
    scope = scope_of(user)
    is_owner = scope.is_hq or case.lead_office_id in scope.view_office_ids
    can_change = can_work_office(user, case.lead_office_id)
    if is_owner:
        return CaseAccess(is_owner=True, can_change=can_change)
    if shares is None:
        shares = list(
            CaseShare.objects.for_recipient(user)
            .filter(case=case)
            .select_related("office", "partner", "shared_by")
        )
    mine = [share for share in shares if _is_to(share, scope) and share.is_active()]
    return CaseAccess(
        is_owner=False,
        can_change=can_change,
        shares_to_me=mine,
        work_office_ids=scope.change_office_ids,
    )


def _is_to(share: CaseShare, scope) -> bool:
    return share.office_id in scope.view_office_ids or share.partner_id in scope.partner_ids


def _case_or_404(request, reference: str, action: str = "view") -> Case:
    return get_case_for_user(request.user, reference, action)


# --- the case list ------------------------------------------------------------------------------


def with_my_share(queryset, user):
    """Annotate each case with the level and handling code of the highest live share to the
    user (office desks or partner), in the same query: `my_share_level`, `my_handling_code`.
    """
    scope = scope_of(user)
    if not (scope.view_office_ids or scope.partner_ids):
        return queryset.annotate(
            my_share_level=Value(None, output_field=IntegerField()),
            my_handling_code=Value(None, output_field=CharField()),
        )
    mine = (
        CaseShare.objects.for_recipient(user)
        .filter(case_id=OuterRef("pk"))
        .order_by("-level", "handling_code")
    )
    return queryset.annotate(
        my_share_level=Subquery(mine.values("level")[:1]),
        my_handling_code=Subquery(mine.values("handling_code")[:1]),
    )


class CaseListView(VisibleMixin, PageView):
    """Search, filter, sort and page through the cases the user may see."""

    model = Case
    template_name = "cases/case_list.html"

    def get_template_names(self):
        if is_htmx(self.request) and self.request.headers.get("HX-Target") == "case-results":
            return ["cases/_case_results.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        user = self.request.user
        offices = list(LinkOffice.objects.order_by("code").values_list("pk", "code", "name"))
        form = case_forms.CaseFilterForm(self.request.GET or None, offices=offices)
        data = form.cleaned_data if form.is_bound and form.is_valid() else {}
        if form.is_bound and not data:
            data = getattr(form, "cleaned_data", {})
        cases = self.filter(self.visible(), data, form)
        sort = data.get("sort") or "updated"
        rows = with_my_share(cases, user).select_related("lead_office")
        if sort == "status":
            rows = rows.annotate(status_order=STATUS_ORDER)
        page = paginate_bounded(self.request, rows.order_by(*SORTS[sort]))
        scope = scope_of(user)
        for case in page:
            case.via_share = bool(
                not scope.is_hq
                and case.lead_office_id not in scope.view_office_ids
                and case.my_share_level
            )
            if case.via_share:
                case.my_share_label = ShareLevel(case.my_share_level).label
                case.my_handling_label = HandlingCode(case.my_handling_code).label
        return {
            **super().get_context_data(**kwargs),
            "form": form,
            "page": page,
            "sort": sort,
            "is_hq": scope.is_hq,
            "user_can_open": scope.is_hq or bool(scope.change_office_ids),
            "more_filters": sum(
                1 for name in ("exploitation", "office", "handling", "shared") if data.get(name)
            ),
        }

    def filter(self, cases, data: dict, form):
        user = self.request.user
        if data.get("q"):
            cases = cases.search(data["q"])
        if data.get("kind"):
            cases = cases.filter(kind=data["kind"])
        status = data.get("status")
        if status == "open":
            cases = cases.filter(status__in=sorted(OPEN_STATUSES))
        elif status:
            cases = cases.filter(status=status)
        if data.get("exploitation"):
            cases = cases.with_exploitation(data["exploitation"])
        if data.get("office"):
            cases = cases.filter(lead_office_id=form.office_ids[data["office"]])
        if data.get("shared") or data.get("handling"):
            mine = CaseShare.objects.for_recipient(user).filter(case_id=OuterRef("pk"))
            if data.get("handling"):
                mine = mine.filter(handling_code=data["handling"])
            cases = cases.filter(Exists(mine))
        return cases


# --- the case page ------------------------------------------------------------------------------


def _shares_for_page(user, case: Case) -> list[CaseShare]:
    """The shares the user sees on this case: every share for the lead office and HQ; the live
    shares to them for a recipient, plus those they passed on themselves.
    """
    visible = CaseShare.objects.visible_to(user).filter(case=case)
    passed_on = CaseShare.objects.filter(
        case=case, passed_on_from__in=CaseShare.objects.for_recipient(user).filter(case=case)
    )
    scope = scope_of(user)
    combined = visible if scope.is_hq else (visible | passed_on)
    return list(
        combined.select_related("office", "partner", "shared_by").order_by("-created_at", "-id")
    )


def case_page_context(request, case: Case, **extra) -> dict:
    """Everything the case page shows, one query per section, none for a hidden section."""
    user = request.user
    shares = _shares_for_page(user, case)
    access = case_access(user, case, shares)
    now = timezone.now()
    for share in shares:
        share.live = share.is_active(now)
        share.to_me = share in access.shares_to_me
        share.revocable = access.can_revoke(share)
    requests = list(
        CooperationRequest.objects.visible_to(user)
        .filter(case=case)
        .select_related("from_office", "to_office", "to_partner")
        .order_by("-created_at", "-id")
    )
    context = {
        "case": case,
        "access": access,
        "shares": shares,
        "requests": requests,
        "now": now,
        "forms_of_exploitation": _labels(case.forms_of_exploitation, Exploitation),
    }
    if access.sees_full:
        timeline = timeline_of(case, now)  # stored lines plus "share expired" (derived)
        if not access.is_owner:
            timeline = [e for e in timeline if e.kind not in OWNER_ONLY_TIMELINE]
        latest_messages = list(
            Message.objects.visible_to(user)
            .filter(case=case, request__isnull=True)
            .select_related("author", "author_office", "author_partner")
            .order_by("-created_at", "-id")[:MESSAGE_LIMIT]
        )
        context.update(
            route=list(RouteLeg.objects.filter(case=case).select_related("country")),
            suspects=list(Suspect.objects.filter(case=case).select_related("nationality")),
            provisions=list(case.legal_provisions.all()),
            timeline=timeline[:TIMELINE_LIMIT],
            messages_list=latest_messages[::-1],
            means_of_control=_labels(case.means_of_control, MeansOfControl),
            message_form=extra.pop("message_form", None) or case_forms.MessageForm(),
        )
    if access.sees_victims and hasattr(case, "victims"):
        # Codes and non-identifying facts only; personal data is shown on the victim's page,
        # where the victims app decides and records it.
        context["victims"] = list(
            case.victims.visible_to(user)
            .only("pk", "code", "identification_status", "is_child")
            .order_by("code")
        )
    context.update(extra)
    return context


def _labels(values, choices) -> list[str]:
    labels = dict(choices.choices)
    return [str(labels.get(value, value)) for value in values or ()]


class CaseDetailView(PageView):
    template_name = "cases/case_detail.html"

    def get_context_data(self, **kwargs):
        case = _case_or_404(self.request, kwargs["reference"])
        return {**super().get_context_data(**kwargs), **case_page_context(self.request, case)}


class CaseFormBase(DomainFormView):
    """A form about one case: the case is looked up (404 if not visible) before anything else."""

    action = "change"  # "view" for forms any reader may use (messages, requests)

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.case = _case_or_404(request, kwargs["reference"], self.action)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "case": self.case}

    def get_success_url(self):
        return self.case.get_absolute_url()


# --- creating and editing the record ------------------------------------------------------------


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
    template_name = "cases/case_form.html"
    form_class = case_forms.CaseCreateForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.offices = _workable_offices(request.user)
            if not self.offices.exists():
                messages.error(request, "Only link office officers can open cases.")
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
        return f"Case {self.result.reference} opened. Add its route and suspects below."

    def get_success_url(self):
        return self.result.get_absolute_url()


class CaseEditView(CaseFormBase):
    template_name = "cases/case_form.html"
    form_class = case_forms.CaseEditForm
    success_message = "Changes saved."

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
        current = _case_or_404(self.request, self.case.reference, "change")
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
        return f"{self.case.reference} is now {self.result.get_status_display().lower()}."


class RouteLegAddView(CaseFormBase):
    template_name = "cases/part_form.html"
    form_class = case_forms.RouteLegForm
    success_message = "Route leg added."
    heading = "Add a route leg"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "heading": self.heading}

    def perform(self, form):
        return services.route_leg_add(
            acting_user=self.request.user, case=self.case, **form.cleaned_data
        )

    def get_success_url(self):
        return self.case.get_absolute_url() + "#route"


class SuspectAddView(RouteLegAddView):
    form_class = case_forms.SuspectForm
    success_message = "Suspect added."
    heading = "Add a suspect"

    def perform(self, form):
        return services.suspect_add(
            acting_user=self.request.user, case=self.case, **form.cleaned_data
        )

    def get_success_url(self):
        return self.case.get_absolute_url() + "#suspects"


class PartRemoveView(CaseFormBase):
    """Remove a route leg or a suspect, after a confirmation step."""

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
        return f"Removed: {self.part}."


# --- sharing ------------------------------------------------------------------------------------


def share_recipients(case: Case):
    """Offices and partners a case may be shared with (not its lead office, not HQ)."""
    offices = (
        LinkOffice.objects.filter(status=OfficeStatus.ACTIVE)
        .exclude(code=HQ_CODE)
        .exclude(pk=case.lead_office_id)
        .order_by("code")
    )
    partners = PartnerOrganisation.objects.filter(is_active=True).order_by("name")
    return offices, partners


class CaseShareView(CaseFormBase):
    template_name = "cases/case_share.html"
    form_class = case_forms.ShareForm
    action = "view"  # the lead office shares; a recipient office may pass it on (the service)

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.case = _case_or_404(request, kwargs["reference"])
        self.access = case_access(request.user, self.case)
        if not self.access.can_share:
            if self.access.held_only_under_h2:
                messages.error(
                    request,
                    f"{self.case.reference} was shared with you under H2 — no onward "
                    "dissemination without the originator's consent. Ask "
                    f"{self.case.lead_office.code} to share it.",
                )
            else:
                messages.error(request, "Only the lead office can share this case.")
            return redirect(self.case)
        return super(CaseFormBase, self).dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        offices, partners = share_recipients(self.case)
        kwargs = {**super().get_form_kwargs(), "offices": offices, "partners": partners}
        if not self.access.can_change:
            # Passing on: partner organisations are the lead office's to choose.
            kwargs["partners"] = PartnerOrganisation.objects.none()
        return kwargs

    def get_initial(self):
        source = max(self.access.passable_shares, key=lambda s: s.level, default=None)
        if source is not None:
            return {"level": source.level, "handling_code": source.handling_code}
        return {}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "access": self.access}

    def perform(self, form):
        data = form.cleaned_data
        recipient = data["recipient"]
        return services.case_share(
            acting_user=self.request.user,
            case=self.case,
            level=data["level"],
            handling_code=data["handling_code"],
            office=recipient if isinstance(recipient, LinkOffice) else None,
            partner=recipient if isinstance(recipient, PartnerOrganisation) else None,
            handling_conditions=data.get("handling_conditions") or "",
            expires_at=data.get("expires_at"),
        )

    def get_success_message(self, form):
        share = self.result
        return (
            f"{self.case.reference} shared with {share.recipient} — "
            f"{share.get_level_display()}, {share.handling_code}."
        )

    def get_success_url(self):
        return self.case.get_absolute_url() + "#shares"


class ShareRevokeView(CaseFormBase):
    template_name = "cases/confirm.html"
    form_class = case_forms.ConfirmForm
    action = "view"

    @cached_property
    def share(self):
        shares = {s.pk: s for s in _shares_for_page(self.request.user, self.case)}
        share = shares.get(self.kwargs["pk"])
        if share is None:
            raise Http404("No such share.")
        return share

    def get_context_data(self, **kwargs):
        share = self.share
        return {
            **super().get_context_data(**kwargs),
            "heading": f"Revoke the share to {share.recipient}?",
            "subject": f"{share.get_level_display()} · {share.get_handling_code_display()}",
            "consequence": f"{share.recipient} stops seeing {self.case.reference} at once, and "
            "so does anyone they passed it on to. This cannot be undone: to give access again, "
            "share the case anew.",
            "button": "Revoke share",
            "danger": True,
        }

    def perform(self, form):
        return services.share_revoke(acting_user=self.request.user, share=self.share)

    def get_success_message(self, form):
        others = len(self.result) - 1
        extra = f" (and {others} share{'s' if others > 1 else ''} passed on from it)"
        return f"Share to {self.share.recipient} revoked" + (extra if others else "") + "."

    def get_success_url(self):
        return self.case.get_absolute_url() + "#shares"


# --- messages -----------------------------------------------------------------------------------


class MessagePostView(LoginRequiredMixin, View):
    """Post a graded message; with htmx the thread is swapped in place, else a redirect."""

    def post(self, request, reference):
        case = _case_or_404(request, reference)
        access = case_access(request.user, case)
        if not access.can_message:
            raise Http404("No such case.")
        form = case_forms.MessageForm(request.POST)
        if form.is_valid():
            try:
                services.message_post(acting_user=request.user, case=case, **form.cleaned_data)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                if not is_htmx(request):
                    messages.success(request, "Message posted.")
                    return redirect(case.get_absolute_url() + "#messages")
                form = case_forms.MessageForm()
                return render(
                    request,
                    "cases/_messages.html",
                    {
                        **case_page_context(request, case, message_form=form),
                        "posted": True,
                    },
                )
        template = "cases/_messages.html" if is_htmx(request) else "cases/case_detail.html"
        return render(request, template, case_page_context(request, case, message_form=form))


# --- cooperation requests -----------------------------------------------------------------------


def request_senders(user, case: Case, access: CaseAccess) -> list[LinkOffice]:
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
    template_name = "cases/request_form.html"
    form_class = case_forms.RequestForm
    action = "view"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.case = _case_or_404(request, kwargs["reference"])
        self.access = case_access(request.user, self.case)
        self.senders = request_senders(request.user, self.case, self.access)
        if not self.senders:
            messages.error(request, "Only an office that holds this case can send requests.")
            return redirect(self.case)
        return super(CaseFormBase, self).dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        sender = self.senders[0]
        # Who can be asked: whoever sees the case — its lead office and its live recipients.
        live = CaseShare.objects.live().filter(case=self.case)
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
            to_office=recipient if isinstance(recipient, LinkOffice) else None,
            to_partner=recipient if isinstance(recipient, PartnerOrganisation) else None,
        )

    def get_success_message(self, form):
        request = self.result
        return f"Request sent to {request.recipient}; due {request.due_at:%d %b %Y, %H:%M} UTC."

    def get_success_url(self):
        return reverse("cases:request", kwargs={"pk": self.result.pk})


def _request_filter(queryset, user, data: dict, now):
    scope = scope_of(user)
    box = data.get("box")
    desks = sorted(scope.view_office_ids)
    if box == "in" and not scope.is_hq:
        queryset = queryset.filter(
            Q(to_office_id__in=desks) | Q(to_partner_id__in=sorted(scope.partner_ids))
        )
    elif box == "out" and not scope.is_hq:
        queryset = queryset.filter(from_office_id__in=desks)
    status = data.get("status")
    if status == "overdue":
        queryset = queryset.overdue(now)
    elif status == "due":
        queryset = queryset.filter(
            status=RequestStatus.OPEN, due_at__gte=now, due_at__lt=now + DUE_SOON
        )
    elif status:
        queryset = queryset.filter(status=status)
    if data.get("q"):
        queryset = queryset.filter(case__reference__icontains=data["q"].strip())
    return queryset


class RequestListView(VisibleMixin, PageView):
    """Cooperation requests to and from the user's desks, soonest due first."""

    model = CooperationRequest
    template_name = "cases/request_list.html"

    def get_context_data(self, **kwargs):
        form = case_forms.RequestFilterForm(self.request.GET or None)
        data = form.cleaned_data if form.is_bound and form.is_valid() else {}
        now = timezone.now()
        requests = _request_filter(self.visible(), self.request.user, data, now)
        requests = requests.select_related("case", "from_office", "to_office", "to_partner")
        # Open first (soonest due first), then answered and closed (latest first).
        requests = requests.annotate(
            open_first=SqlCase(
                When(status=RequestStatus.OPEN, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        ).order_by("open_first", "due_at", "id")
        page = paginate_bounded(self.request, requests)
        return {
            **super().get_context_data(**kwargs),
            "form": form,
            "page": page,
            "now": now,
            "is_hq": scope_of(self.request.user).is_hq,
        }


class RequestDetailView(VisibleMixin, PageView):
    """One request: the question, the answer (or the form to answer), its thread."""

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
        return context

    def post(self, request, *args, **kwargs):
        """Answer, close, or post to the thread — each a service call; errors shown inline."""
        req = self.object
        what = request.POST.get("action")
        try:
            if what == "answer":
                form = case_forms.AnswerForm(request.POST, overdue=req.is_overdue)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(answer_form=form))
                try:
                    services.request_answer(
                        acting_user=request.user,
                        request=req,
                        answer=form.cleaned_data["answer"],
                        late_reason=form.cleaned_data.get("late_reason") or "",
                    )
                except DomainError as exc:
                    if exc.field not in form.fields:
                        raise  # not about what they typed: said on top, after the redirect
                    add_domain_error(form, exc)
                    return self.render_to_response(self.get_context_data(answer_form=form))
                messages.success(request, "Answer sent.")
            elif what == "close":
                if not request.POST.get("confirm"):
                    messages.error(request, "Tick “Yes, close it” to close the request.")
                    return HttpResponseRedirect(request.path)
                services.request_close(
                    acting_user=request.user,
                    request=req,
                    reason=request.POST.get("reason", ""),
                )
                messages.success(request, "Request closed.")
            elif what == "message":
                form = case_forms.MessageForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(message_form=form))
                try:
                    services.message_post(
                        acting_user=request.user, case=req.case, request=req, **form.cleaned_data
                    )
                except DomainError as exc:
                    if exc.field not in form.fields:
                        raise
                    add_domain_error(form, exc)
                    return self.render_to_response(self.get_context_data(message_form=form))
                messages.success(request, "Message posted.")
            else:
                raise Http404("No such action.")
        except DomainError as exc:
            messages.error(request, exc.message)
        return HttpResponseRedirect(request.path)
