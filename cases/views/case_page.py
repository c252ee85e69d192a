"""The case page, its message thread (htmx), and the base of every form about one case."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import F
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views import View

from audit import services as audit
from cases import forms as case_forms
from cases import services
from cases.constants import (
    AgeBand,
    Exploitation,
    JusticeStage,
    LabourSector,
    MeansOfControl,
    OnlinePlatform,
    RecruiterRelationship,
    RecruitmentMethod,
    RouteStage,
    Sex,
    SuspectRole,
    TransportMode,
    Verdict,
)
from cases.full_parts import load_full_parts
from cases.models import (
    Case,
    CaseFlag,
    CooperationRequest,
    HandOver,
    Message,
)
from cases.views.access import case_access, case_or_404, shares_for_page
from glo_act import submit_once
from glo_act.errors import DomainError
from glo_act.pages import (
    DomainFormView,
    PageView,
    add_domain_error,
    is_htmx,
    page_extensions,
)

__all__ = ["CaseDetailView", "CaseFormBase", "MessagePostView", "case_page_context"]

# How much history the case page shows (the rest is in the admin's history).
TIMELINE_LIMIT = 50
MESSAGE_LIMIT = 50


def case_page_context(request, case: Case, **extra) -> dict:
    """Everything the case page shows: a query per section (route, suspects, legal basis and
    timeline share one), none for a section hidden at the user's level."""
    user = request.user
    shares = shares_for_page(user, case)
    access = case_access(user, case, shares)
    now = timezone.now()
    for share in shares:
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
        # Route, suspects, legal basis and timeline in one query, as the API detail reads them;
        # a recipient's timeline holds RECIPIENT_TIMELINE_KINDS only.
        parts = load_full_parts(case, owner=access.is_owner, at=now)
        latest_messages = list(
            Message.objects.visible_to(user)
            .filter(case=case, request__isnull=True)
            .select_related("author", "author_office", "author_partner")
            .order_by("-created_at", "-id")[:MESSAGE_LIMIT]
        )
        context.update(
            route=_with_labels(parts["route_legs"], stage=RouteStage, mode=TransportMode),
            suspects=_suspects(parts["suspects"]),
            provisions=[p for p in parts["legal_provisions"] if p["is_pakistani"]],
            host_provisions=[p for p in parts["legal_provisions"] if not p["is_pakistani"]],
            timeline=parts["timeline"][:TIMELINE_LIMIT],
            messages_list=latest_messages[::-1],
            means_of_control=_labels(case.means_of_control, MeansOfControl),
            message_form=extra.pop("message_form", None) or case_forms.MessageForm(),
        )
    if access.is_owner:
        # Who works the case, and a hand-over on its way: the lead office's and HQ's business.
        context["pending_handover"] = (
            HandOver.objects.pending().filter(case=case).select_related("to_office").first()
        )
        context["flags"] = list(
            CaseFlag.objects.filter(case=case, cleared_at__isnull=True).order_by(
                F("due_on").asc(nulls_last=True), "id"
            )
        )
        context["today"] = timezone.localdate()
    if access.sees_victims and hasattr(case, "victims"):
        # Codes and non-identifying facts only; personal data is shown on the victim's page,
        # where the victims app decides and records it.
        context["victims"] = list(
            case.victims.visible_to(user)
            .only("pk", "code", "identification_status", "is_child", *VICTIM_HTCDS)
            .order_by("code")
        )
        context["victims_htcds"] = _victims_htcds(context["victims"])
    context.update(extra)
    # Sections other apps add (the evidence app's files): glo_act.pages.extend_page.
    return page_extensions("case", request, case, context)


# The HTCDS fields a victim carries, and how the case page names their union
# (docs/investigation.md#htcds-fields): the case's own fields stay; these are the victims'.
VICTIM_HTCDS = {
    "recruitment_methods": ("Recruited by", RecruitmentMethod),
    "recruiter_relationship": ("Recruiter", RecruiterRelationship),
    "means_of_control": ("Means of control", MeansOfControl),
    "labour_sectors": ("Sectors", LabourSector),
    "recruitment_platforms": ("Platforms used to recruit", OnlinePlatform),
    "exploitation_platforms": ("Platforms used to exploit", OnlinePlatform),
}


def _victims_htcds(victims) -> list[tuple[str, list[str]]]:
    """Each HTCDS field's values across the victims, in first-seen order ("" left out)."""
    rows = []
    for name, (label, choices) in VICTIM_HTCDS.items():
        seen: dict[str, None] = {}
        for victim in victims:
            value = getattr(victim, name)
            for item in value if isinstance(value, list) else [value]:
                if item:
                    seen.setdefault(item)
        if seen:
            rows.append((label, _labels(list(seen), choices)))
    return rows


def _suspects(rows: list[dict]) -> list[dict]:
    """The suspects with their labels: every role, and each justice line's stage and verdict."""
    for suspect in _with_labels(rows, role=SuspectRole, sex=Sex, age_band=AgeBand):
        suspect["roles_label"] = ", ".join(_labels(suspect["roles"], SuspectRole))
        _with_labels(suspect["justice"], stage=JusticeStage, verdict=Verdict)
    return rows


def _labels(values, choices) -> list[str]:
    labels = dict(choices.choices)
    return [str(labels.get(value, value)) for value in values or ()]


def _with_labels(rows: list[dict], **choices_of) -> list[dict]:
    """Give each row `<key>_label`, the display name of its `<key>` choice ("" when blank)."""
    labels_of = {key: dict(choices.choices) for key, choices in choices_of.items()}
    for row in rows:
        for key, labels in labels_of.items():
            value = row[key]
            row[f"{key}_label"] = str(labels.get(value, value)) if value else ""
    return rows


class CaseDetailView(PageView):
    template_name = "cases/case_detail.html"

    def get_context_data(self, **kwargs):
        case = case_or_404(self.request, kwargs["reference"])
        audit.case_opened(self.request.user, case)
        return {**super().get_context_data(**kwargs), **case_page_context(self.request, case)}


class CaseFormBase(DomainFormView):
    """A form about one case: the case is looked up (404 if not visible) before anything else."""

    action = "change"  # "view" for forms any reader may use (messages, requests)

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.case = case_or_404(request, kwargs["reference"], self.action)
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "case": self.case}

    def get_success_url(self):
        return self.case.get_absolute_url()


class MessagePostView(LoginRequiredMixin, submit_once.SpentTokenMixin, View):
    """Post a graded message; with htmx the thread is swapped in place, else a redirect."""

    form_token = submit_once.REQUIRED

    def post(self, request, reference):
        case = case_or_404(request, reference)
        access = case_access(request.user, case)
        if not access.can_message:
            raise Http404("No such case.")
        form = case_forms.MessageForm(request.POST)
        if form.is_valid():
            try:
                outcome = submit_once.run(
                    request,
                    lambda: services.message_post(
                        acting_user=request.user, case=case, **form.cleaned_data
                    ),
                    result_url=lambda message: case.get_absolute_url() + "#messages",
                    required=True,
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                if not is_htmx(request):
                    if outcome.repeated:
                        messages.info(request, submit_once.ALREADY_SAVED)
                    else:
                        messages.success(request, gettext("Message posted."))
                    return redirect(outcome.url)
                form = case_forms.MessageForm()
                return render(
                    request,
                    "cases/_messages.html",
                    {
                        **case_page_context(request, case, message_form=form),
                        "posted": "again" if outcome.repeated else True,
                    },
                )
        template = "cases/_messages.html" if is_htmx(request) else "cases/case_detail.html"
        return render(request, template, case_page_context(request, case, message_form=form))
