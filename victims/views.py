"""Pages of the victims app: victims (register, edit, reveal, consent), referrals (send, answer,
track) and reintegration follow-ups.

Reads go through `visible_to(user)` and 404 for anything else; a victim is shown by its code,
and personal data only after a deliberate POST ("Reveal"), decided and recorded by
`victims.access.reveal_personal_data` (door "page"). Writes go through `victims.services`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case as SqlCase
from django.db.models import Exists, IntegerField, OuterRef, Value, When
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.utils.translation import gettext, gettext_lazy
from django.views import View
from django.views.decorators.cache import never_cache

from accounts import two_factor
from cases.constants import (
    Exploitation,
    LabourSector,
    MeansOfControl,
    OnlinePlatform,
    RecruiterRelationship,
    RecruitmentMethod,
)
from cases.models import Case
from cases.querysets import get_case_for_user
from glo_act import submit_once
from glo_act.errors import ConflictError, DomainError
from glo_act.pages import (
    DomainFormView,
    PageView,
    VisibleMixin,
    add_domain_error,
    get_visible_or_404,
    is_htmx,
    page_extensions,
    paginate_bounded,
)
from liaison_offices.access import can_work_office, scope_of
from liaison_offices.constants import HQ_CODE, OfficeStatus, Service
from liaison_offices.models import Country, LinkOffice, PartnerOrganisation
from victims import forms as victim_forms
from victims import services
from victims.access import personal_fields_of, record_personal_data_read, reveal_personal_data
from victims.constants import (
    OPEN_REFERRAL_STATUSES,
    REFERRAL_TRANSITIONS,
    AccessDoor,
    ConsentPurpose,
    IdentificationStatus,
    LawfulBasis,
    PersonalField,
    ReferralStatus,
    RevealPurpose,
    Vulnerability,
)
from victims.crypto import PersonalDataUnreadable
from victims.forms import HTCDS_FIELDS, SCREENING_FIELDS
from victims.models import Consent, Referral, ReferralUpdate, ReintegrationFollowUp, Victim

PERSONAL_LABELS = dict(PersonalField.choices)
REFERRAL_STATUS_ORDER = SqlCase(
    *(When(status=value, then=Value(i)) for i, value in enumerate(ReferralStatus.values)),
    output_field=IntegerField(),
)


def _labels(values, choices) -> list[str]:
    labels = dict(choices.choices)
    return [str(labels.get(value, value)) for value in values or ()]


def _countries() -> list[tuple[str, str]]:
    return list(Country.objects.order_by("name").values_list("iso3", "name"))


def _organisations():
    """Active link offices (not HQ) and active partners, for consent choices."""
    offices = (
        LinkOffice.objects.filter(status=OfficeStatus.ACTIVE).exclude(code=HQ_CODE).order_by("name")
    )
    partners = PartnerOrganisation.objects.filter(is_active=True).order_by("name")
    return list(offices), list(partners)


def _hint_text(hint) -> str:
    fields = [str(PERSONAL_LABELS.get(name, name)).lower() for name in hint.matched_fields]
    what = (
        " and ".join(fields) if len(fields) <= 2 else ", ".join(fields[:-1]) + " and " + fields[-1]
    )
    return (
        f"Possible duplicate: {hint.office.name} ({hint.office.code}) has recorded someone with "
        f"the same {what}. Contact that office before going further."
    )


def _domain_error(form, exc: DomainError, mapping: dict[str, str] | None = None) -> None:
    """`add_domain_error`, with the service's field names mapped onto this form's."""
    if mapping and exc.field in mapping:
        exc = DomainError(exc.message, field=mapping[exc.field])
    add_domain_error(form, exc)


# --- one victim ---------------------------------------------------------------------------------


def victim_for_user(user, code: str) -> Victim:
    """The victim with this code if the user may see it (404 otherwise), annotated with
    `can_change` and the personal-data rule (`personal_access`) in the same query.
    """
    changeable = Victim.objects.restrict(user, "change").filter(pk=OuterRef("pk"))
    queryset = (
        Victim.objects.visible_to(user)
        .select_related("recorded_by_office", "nationality")
        .annotate(can_change=Exists(changeable))
        .with_personal_access(user)
    )
    return get_visible_or_404(queryset, code=code)


def victim_page_context(request, victim: Victim, **extra) -> dict:
    """Everything the victim page shows: one query per section."""
    user = request.user
    allowed = personal_fields_of(victim, user)
    cases = list(
        Case.objects.visible_to(user)
        .filter(victim_links__victim=victim)
        .select_related("lead_office")
        .order_by("reference")
    )
    consents = list(
        Consent.objects.filter(victim=victim)  # scoped: a victim they see
        .select_related("partner", "office", "recorded_by", "withdrawn_by")
        .order_by("withdrawn_at", "-recorded_at", "-id")
    )
    referrals = list(
        Referral.objects.visible_to(user)
        .filter(victim=victim)
        .select_related("partner", "from_office")
        .order_by("-created_at", "-id")
    )
    live = [c for c in consents if c.is_live]
    context = {
        "victim": victim,
        "allowed_fields": [
            PERSONAL_LABELS[name] for name in PersonalField.values if name in allowed
        ],
        "cases": cases,
        "consents": consents,
        "live_consents": live,
        "has_statistics_consent": any(c.purpose == ConsentPurpose.STATISTICS for c in live),
        "referrals": referrals,
        "forms_of_exploitation": _labels(victim.forms_of_exploitation, Exploitation),
        "vulnerabilities": _labels(victim.vulnerabilities, Vulnerability),
        "htcds": [
            ("Method of recruitment", _labels(victim.recruitment_methods, RecruitmentMethod)),
            (
                "Recruiter's relationship",
                _labels(
                    [victim.recruiter_relationship] if victim.recruiter_relationship else [],
                    RecruiterRelationship,
                ),
            ),
            ("Means of control", _labels(victim.means_of_control, MeansOfControl)),
            ("Sectors of forced labour", _labels(victim.labour_sectors, LabourSector)),
            ("Platforms used to recruit", _labels(victim.recruitment_platforms, OnlinePlatform)),
            ("Platforms used to exploit", _labels(victim.exploitation_platforms, OnlinePlatform)),
        ],  # fmt: skip
        "screening": victim.screening,
        "revealed": None,
        "reveal_form": victim_forms.RevealForm(needs_code=not two_factor.is_fresh(request)),
        # A session that skipped enrolment has no authenticator (no query to know it).
        "reveal_needs_setup": two_factor.factor_of(request).skipped,
        **extra,
    }
    # Sections other apps add (the evidence app's documents): glo_act.pages.extend_page.
    return page_extensions("victim", request, victim, context)


def screening_note(victim: Victim) -> str:
    """A word when the identification decision and the screening's answers disagree: the
    decision stands (the officer may know more than the checklist), the reader is told."""
    screening = victim.screening
    if victim.identification_status != IdentificationStatus.ACTUAL or not screening.screened:
        return ""
    if screening.meets_definition:
        return ""
    return (
        " Identified as a victim although the screening found no "
        + " or ".join(screening.missing)
        + ": check the screening answers."
    )


class VictimDetailView(PageView):
    """A victim by code; personal data only after "Reveal" (see `VictimRevealView`)."""

    template_name = "victims/victim_detail.html"

    def get_context_data(self, **kwargs):
        victim = victim_for_user(self.request.user, kwargs["code"])
        return {
            **super().get_context_data(**kwargs),
            **victim_page_context(self.request, victim),
        }


@method_decorator(never_cache, name="dispatch")
class VictimRevealView(LoginRequiredMixin, View):
    """POST: show the personal data the rules allow, and record the read (door "page") with
    the reason given (a purpose and the person's words).

    When the session's last second-factor check is older than `REVEAL_STEP_UP_MINUTES`, the
    form also asks for a code from the authenticator app
    (docs/authentication.md#step-up-before-a-reveal);
    a person with no authenticator is asked to set one up first. The data is in this response
    only (never stored in the session, never cached): reloading the victim page shows the
    code again.
    """

    form_token = submit_once.REPEATABLE

    def post(self, request, code):
        victim = victim_for_user(request.user, code)
        allowed = personal_fields_of(victim, request.user)
        if not allowed:
            raise PermissionDenied("You may not see this victim's personal data.")
        if not two_factor.has_device(request.user):
            context = victim_page_context(request, victim, reveal_needs_setup=True)
            return self.render(request, context, status=403)
        form = victim_forms.RevealForm(request.POST, needs_code=not two_factor.is_fresh(request))
        if form.is_valid() and form.needs_code:
            device = two_factor.verify_code(request.user, form.cleaned_data["code"])
            if device is None:
                form.add_error(
                    "code",
                    "That code is not right. Enter the newest code your authenticator app "
                    "shows for GLO.ACT.",
                )
            else:
                two_factor.mark_verified(request, device)
        if form.errors:
            context = victim_page_context(request, victim, reveal_form=form)
            return self.render(request, context, status=400)
        try:
            revealed = reveal_personal_data(
                user=request.user,
                victim=victim,
                door=AccessDoor.PAGE,
                purpose=form.cleaned_data["purpose"],
                reason=form.cleaned_data["reason"],
            )
        except PersonalDataUnreadable:
            # A key missing from FIELD_ENCRYPTION_KEYS (logged by victims.access): the page
            # says so in place of the data, as the admin does, instead of a server error.
            return self.render(request, victim_page_context(request, victim, unreadable=True))
        rows = [
            (PERSONAL_LABELS[name], revealed.get(name))
            for name in PersonalField.values
            if name in allowed
        ]
        return self.render(request, victim_page_context(request, victim, revealed=rows))

    def render(self, request, context, status=200):
        if is_htmx(request):
            # htmx swaps only 2xx answers: the panel with its errors comes back as 200.
            return render(request, "victims/_personal.html", context)
        return render(request, "victims/victim_detail.html", context, status=status)


# --- the victim list ----------------------------------------------------------------------------


class VictimListView(VisibleMixin, PageView):
    """The victims the user may see, by code (no personal data on a list)."""

    model = Victim
    template_name = "victims/victim_list.html"

    def get_template_names(self):
        if is_htmx(self.request) and self.request.headers.get("HX-Target") == "victim-results":
            return ["victims/_victim_results.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        form = victim_forms.VictimFilterForm(self.request.GET or None)
        form.is_valid()
        data = getattr(form, "cleaned_data", {})
        victims = self.visible().starting_from_own(self.request.user)
        if data.get("q"):
            victims = victims.filter(code__icontains=data["q"].strip())
        if data.get("identification_status"):
            victims = victims.filter(identification_status=data["identification_status"])
        if data.get("child"):
            victims = victims.filter(is_child=data["child"] == "child")
        rows = victims.select_related("recorded_by_office", "nationality").order_by(
            "-created_at", "-id"
        )
        page = paginate_bounded(self.request, rows)
        scope = scope_of(self.request.user)
        return {
            **super().get_context_data(**kwargs),
            "form": form,
            "page": page,
            "is_hq": scope.is_hq,
            "can_register": scope.is_hq or bool(scope.change_office_ids),
        }


# --- registering and editing --------------------------------------------------------------------


def _workable_offices(user) -> list[LinkOffice]:
    """Offices the user may record victims for (HQ: every active office)."""
    scope = scope_of(user)
    offices = LinkOffice.objects.filter(status=OfficeStatus.ACTIVE)
    if not scope.is_hq:
        offices = offices.filter(pk__in=sorted(scope.change_office_ids))
    return list(offices.order_by("code"))


class VictimRegisterView(LoginRequiredMixin, submit_once.SpentTokenMixin, View):
    """Register a victim on a case (`?case=<reference>` preselects it), with consents."""

    form_token = submit_once.REQUIRED

    template_name = "victims/victim_register.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.offices = _workable_offices(request.user)
        if not self.offices:
            raise PermissionDenied("Only link office officers can register victims.")
        return super().dispatch(request, *args, **kwargs)

    def forms(self, data=None):
        offices, partners = _organisations()
        initial = {"case": self.request.GET.get("case", "")}
        victim_form = victim_forms.RegisterForm(data, countries=_countries(), initial=initial)
        consent_form = victim_forms.ConsentForm(
            data, prefix="consent", offices=offices, partners=partners
        )
        return victim_form, consent_form

    def get(self, request):
        victim_form, consent_form = self.forms()
        return self.render(victim_form, consent_form)

    def render(self, victim_form, consent_form, status=200):
        case = None
        reference = (victim_form["case"].value() or "").strip()
        if reference:
            case = Case.objects.visible_to(self.request.user).filter(reference=reference).first()
        context = {
            "form": victim_form,
            "consent_form": consent_form,
            "case": case,
            "error_forms": [victim_form, consent_form],
            "any_errors": bool(victim_form.errors or consent_form.errors),
        }
        return render(self.request, self.template_name, context, status=status)

    def post(self, request):
        victim_form, consent_form = self.forms(request.POST)
        if not (victim_form.is_valid() & consent_form.is_valid()):
            return self.render(victim_form, consent_form)
        reference = victim_form.cleaned_data["case"].strip()
        try:
            case = get_case_for_user(request.user, reference)
        except Http404:
            victim_form.add_error("case", f"No case {reference} that you can see.")
            return self.render(victim_form, consent_form)
        office = case.lead_office if can_work_office(request.user, case.lead_office_id) else None
        if office is None:
            office = self.offices[0]  # a shared case: recorded by the user's own office
        try:
            outcome = submit_once.run(
                request,
                lambda: services.victim_register(
                    acting_user=request.user,
                    case=case,
                    office=office,
                    consents=consent_form.specs(),
                    **victim_form.personal_data(),
                    **victim_form.facts(),
                    **victim_form.basis(),
                ),
                result_url=lambda registration: reverse(
                    "victims:detail", kwargs={"code": registration.victim.code}
                ),
                required=True,
            )
        except DomainError as exc:
            # A fact or personal field on the victim form; a consent's shape on the consents;
            # a form that must be sent again, on top of the victim form.
            on_victim = exc.field in victim_form.fields or exc.field is None
            add_domain_error(victim_form if on_victim else consent_form, exc)
            return self.render(victim_form, consent_form)
        if outcome.repeated:
            messages.info(request, submit_once.ALREADY_SAVED)
            return redirect(outcome.url)
        registration = outcome.result
        victim = registration.victim
        messages.success(
            request,
            f"Victim {victim.code} registered on {case.reference}." + screening_note(victim),
        )
        for hint in registration.duplicate_hints:
            messages.warning(request, _hint_text(hint))
        return redirect("victims:detail", code=victim.code)


class VictimFormBase(DomainFormView):
    """A form about one victim the user may change (404 unseen, 403 seen but not theirs)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.victim = victim_for_user(request.user, kwargs["code"])
        if not self.victim.can_change:
            raise PermissionDenied(
                "Only the office that recorded this victim, or the lead office of a linked "
                "case, can change the record."
            )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "victim": self.victim}

    def get_success_url(self):
        return reverse("victims:detail", kwargs={"code": self.victim.code})


@method_decorator(never_cache, name="dispatch")
class VictimEditView(VictimFormBase):
    """Edit facts and personal data. Opening the form shows personal data: it is recorded."""

    form_token = submit_once.WHEN_SENT

    template_name = "victims/victim_edit.html"
    form_class = victim_forms.VictimEditForm
    success_message = gettext_lazy("Changes saved.")

    def get_success_message(self, form) -> str:
        return self.success_message + screening_note(self.result)

    def get(self, request, *args, **kwargs):
        # The form shows personal data: like a reveal, it needs a recent second factor.
        if not two_factor.is_fresh(request):
            return two_factor.redirect_to_step_up(request)
        return super().get(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "countries": _countries()}

    def get_initial(self):
        victim = self.victim
        initial = {
            "sex": victim.sex,
            "age_at_identification": victim.age_at_identification,
            "identified_on": victim.identified_on,
            "nationality": victim.nationality_id or "",
            "languages": ", ".join(victim.languages or []),
            "identification_status": victim.identification_status,
            "identified_by": victim.identified_by,
            "forms_of_exploitation": victim.forms_of_exploitation,
            "vulnerabilities": victim.vulnerabilities,
            "migration_status": victim.migration_status,
            **{name: getattr(victim, name) for name in (*HTCDS_FIELDS, *SCREENING_FIELDS)},
            "version": victim.version,
            # A record held from before the rule shows no basis: the officer records a real one.
            **(
                {"lawful_basis": victim.lawful_basis, "lawful_basis_note": victim.lawful_basis_note}
                if victim.lawful_basis != LawfulBasis.HELD_BEFORE_RULE
                else {}
            ),
        }
        if self.request.method == "GET":
            revealed = reveal_personal_data(
                user=self.request.user,
                victim=victim,
                door=AccessDoor.PAGE,
                purpose=RevealPurpose.CORRECTION,
                reason="Opened the edit form",
            )
            initial.update(revealed.as_dict())
        return initial

    def perform(self, form):
        return services.victim_update(
            acting_user=self.request.user,
            victim=self.victim,
            expected_version=form.cleaned_data["version"],
            **form.personal_data(),
            **form.facts(),
            **form.basis(),
        )

    def conflict(self, form, exc: ConflictError):
        """A stale edit: show who changed what since, keep the user's work, lose nothing.

        A field only the other person changed takes their value (the user had left it as they
        found it, so saving must not undo the change); a field both changed keeps the user's
        input and is marked as a clash. The form then carries the current version, so saving
        again is a deliberate choice. Showing the current personal data is recorded.
        """
        current = victim_for_user(self.request.user, self.victim.code)
        data = form.data.copy()
        data["version"] = current.version
        mine = {
            name: services.form_value(name, form.cleaned_data.get(name)) for name in exc.changes
        }
        rows = []
        for name, (before, now) in exc.changes.items():
            if name not in form.fields:
                continue
            row = {"name": name, **_describe(form, name, before, now)}
            if mine[name] in (before, now):
                row["outcome"] = "taken"
                if isinstance(now, list):
                    data.setlist(name, now)
                else:
                    data[name] = now
            else:
                row["outcome"] = "clash"
            rows.append(row)
        shown = [row["name"] for row in rows if row["name"] in PERSONAL_LABELS]
        if shown:
            record_personal_data_read(
                user=self.request.user,
                victim=current,
                door=AccessDoor.PAGE,
                fields=shown,
                reason="Edit refused as stale: the current values shown",
            )
        form = self.get_form_class()(data=data, **self._form_kwargs_without_data())
        form.is_valid()
        return self.render_to_response(
            self.get_context_data(
                form=form,
                conflict=exc,
                conflict_changes=rows,
                clashes=[row for row in rows if row["outcome"] == "clash"],
            )
        )

    def _form_kwargs_without_data(self) -> dict:
        kwargs = self.get_form_kwargs()
        for name in ("data", "files", "initial", "prefix", "instance"):
            kwargs.pop(name, None)
        return kwargs


def _describe(form, name: str, before, now) -> dict:
    """A row of the merge box: the field's label, its value when the page was opened, now."""
    field = form.fields[name]
    labels = dict(getattr(field, "choices", []) or [])

    def show(value):
        values = value if isinstance(value, list) else [value]
        values = [str(labels.get(v, v)) for v in values if v not in ("", None)]
        return ", ".join(values) or "—"

    return {"field": field.label or name, "before": show(before), "now": show(now)}


MERGE_LABELS = {
    "state": "The consent",
    "status": "Status",
    "paused": "Paused",
    "latest_entry": "Newest entry in the thread",
}


def merge(form, exc: ConflictError, version: int):
    """A stale change refused on a consent, referral or follow-up: the form drawn again with
    the current version, and the merge box's rows (`templates/includes/conflict.html`).

    As for a victim: a field only the other person changed takes their value, a field both
    changed keeps the user's input (a clash); a field the form does not hold (a referral's
    status, its thread) is shown as changed elsewhere.
    """
    data = form.data.copy()
    data["version"] = version
    rows = []
    for name, (before, now) in exc.changes.items():
        if name in form.fields:
            row = {"name": name, **_describe(form, name, before, now)}
            mine = services.form_value(name, form.cleaned_data.get(name))
            if mine in (before, now):
                row["outcome"] = "taken"
                data[name] = now
            else:
                row["outcome"] = "clash"
        else:
            row = {
                "name": name,
                "field": MERGE_LABELS.get(name, name),
                "before": before or "—",
                "now": now or "—",
                "outcome": "elsewhere",
            }
        rows.append(row)
    return data, rows


class ConsentRecordView(VictimFormBase):
    """Record further consents (those already live are not offered again)."""

    form_token = submit_once.REQUIRED

    template_name = "victims/consent_form.html"
    form_class = victim_forms.RecordConsentForm

    def get_form_kwargs(self):
        offices, partners = _organisations()
        taken = set()
        # scoped: the consents of a victim they see
        for consent in Consent.objects.live().filter(victim=self.victim):
            if consent.purpose in (ConsentPurpose.DATA_PROCESSING, ConsentPurpose.STATISTICS):
                taken.add(consent.purpose)
            elif consent.purpose == ConsentPurpose.SHARING:
                taken.add(
                    f"office:{consent.office_id}"
                    if consent.office_id
                    else f"partner:{consent.partner_id}"
                )
            else:
                taken.add(f"{consent.partner_id}:{consent.service}")
        return {
            **super().get_form_kwargs(),
            "offices": offices,
            "partners": partners,
            "taken": frozenset(taken),
        }

    @transaction.atomic
    def perform(self, form):
        specs = form.specs()
        for spec in specs:
            services.consent_record(acting_user=self.request.user, victim=self.victim, **spec)
        return specs

    def get_success_message(self, form):
        count = len(self.result)
        return f"{count} consent{'s' if count != 1 else ''} recorded for {self.victim.code}."


class ConsentWithdrawView(VictimFormBase):
    """Withdraw one consent, after a confirmation step."""

    form_token = submit_once.WHEN_SENT

    template_name = "victims/confirm.html"
    form_class = victim_forms.ConsentWithdrawForm

    @cached_property
    def consent(self) -> Consent:
        return get_visible_or_404(
            # A withdrawn one too: a page opened before it was withdrawn is told what happened.
            # scoped: the consents of a victim they see
            Consent.objects.filter(victim=self.victim).select_related(
                "partner", "office", "withdrawn_by"
            ),
            pk=self.kwargs["pk"],
        )

    def get(self, request, *args, **kwargs):
        if not self.consent.is_live:
            messages.info(request, "This consent was already withdrawn.")
            return redirect(self.get_success_url())
        return super().get(request, *args, **kwargs)

    def get_initial(self):
        return {"version": self.consent.version}

    def get_context_data(self, **kwargs):
        consent = self.consent
        open_referrals = Referral.objects.filter(  # scoped: the consent of a visible victim
            consent=consent, status__in=sorted(OPEN_REFERRAL_STATUSES)
        ).count()
        consequence = "From now on it opens nothing: "
        if consent.purpose == ConsentPurpose.REFERRAL:
            consequence += "no new referral to this organisation for this service"
            if open_referrals:
                consequence += (
                    f", and the organisation stops seeing personal data on the {open_referrals} "
                    f"open referral{'s' if open_referrals != 1 else ''} relying on it (they are "
                    "told)"
                )
        elif consent.purpose == ConsentPurpose.SHARING:
            consequence += "the organisation no longer sees the victim's personal data"
        elif consent.purpose == ConsentPurpose.STATISTICS:
            consequence += "the victim is no longer counted in statistics"
        else:
            consequence += "the withdrawal is recorded on the victim's file"
        consequence += ". This cannot be undone; if the victim agrees again, record a new consent."
        return {
            **super().get_context_data(**kwargs),
            "heading": gettext("Withdraw this consent?"),
            "subject": _consent_label(consent),
            "consequence": consequence,
            "button": gettext("Withdraw consent"),
            "danger": True,
            "cancel_url": self.get_success_url(),
        }

    def perform(self, form):
        return services.consent_withdraw(
            acting_user=self.request.user,
            consent=self.consent,
            expected_version=form.cleaned_data.get("version"),
        )

    def conflict(self, form, exc: ConflictError):
        """Withdrawn meanwhile (the only change a consent has): say by whom and when; there is
        nothing left to do."""
        current = Consent.objects.get(pk=self.consent.pk)  # scoped: self.consent, visible
        data, rows = merge(form, exc, current.version)
        context = {
            "form": self.get_form_class()(data=data),
            "conflict": exc,
            "conflict_changes": rows,
            "conflict_done": "It is withdrawn already: there is nothing left to do."
            if not current.is_live
            else "",
        }
        return self.render_to_response(self.get_context_data(**context))

    def get_success_message(self, form):
        return f"Consent withdrawn: {_consent_label(self.consent)}."


def _consent_label(consent: Consent) -> str:
    what = consent.get_purpose_display()
    if consent.purpose == ConsentPurpose.REFERRAL:
        return f"Referral to {consent.partner} for {consent.get_service_display().lower()}"
    if consent.purpose == ConsentPurpose.SHARING:
        return f"Sharing with {consent.partner or consent.office}"
    return what


# --- referrals ----------------------------------------------------------------------------------


def referral_targets(user, victim: Victim) -> tuple[list, list | None, dict]:
    """(consented choices, other choices for override holders or None, partners by id).

    Consented: the victim's live referral consents whose partner is active and still provides
    the service, less those already referred and open.
    """
    partners = {p.pk: p for p in PartnerOrganisation.objects.filter(is_active=True)}
    open_keys = {
        f"{partner_id}:{service}"
        for partner_id, service in Referral.objects.filter(  # scoped: a visible victim's
            victim=victim, status__in=sorted(OPEN_REFERRAL_STATUSES)
        ).values_list("partner_id", "service")
    }
    labels = dict(Service.choices)
    consented = []
    for partner_id, service in (
        Consent.objects.live()  # scoped: a victim they see
        .filter(victim=victim, purpose=ConsentPurpose.REFERRAL)
        .values_list("partner_id", "service")
        .order_by("partner__name", "service")
    ):
        key = f"{partner_id}:{service}"
        partner = partners.get(partner_id)
        if partner and partner.provides(service) and key not in open_keys:
            consented.append((key, f"{partner} — {labels.get(service, service)}"))
    others = None
    if user.has_perm(services.OVERRIDE_PERMISSION):
        taken = open_keys | {key for key, _ in consented}
        others = [
            c
            for c in victim_forms.referral_choices(sorted(partners.values(), key=str))
            if c[0] not in taken
        ]
    return consented, others, partners


class ReferralCreateView(VictimFormBase):
    form_token = submit_once.REQUIRED
    template_name = "victims/referral_form.html"
    form_class = victim_forms.ReferralForm

    def get_form_kwargs(self):
        consented, others, partners = referral_targets(self.request.user, self.victim)
        self.consented, self.others = consented, others
        return {
            **super().get_form_kwargs(),
            "consented": consented,
            "others": others,
            "partners": partners,
        }

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "consented": self.consented,
            "can_override": self.others is not None,
        }

    def perform(self, form):
        try:
            return services.referral_create(
                acting_user=self.request.user,
                victim=self.victim,
                partner=form.partner,
                service=form.service,
                note=form.cleaned_data.get("note", ""),
                override_reason=form.cleaned_data.get("override_reason", ""),
            )
        except DomainError as exc:
            mapped = {"partner": "target", "service": "target"}
            if exc.field in mapped:
                raise type(exc)(exc.message, field=mapped[exc.field]) from exc
            raise

    def get_success_message(self, form):
        referral = self.result
        return gettext("Referral sent to %(partner)s for %(service)s; they are notified.") % {
            "partner": referral.partner,
            "service": referral.get_service_display().lower(),
        }

    def get_success_url(self):
        return reverse("victims:referral", kwargs={"pk": self.result.pk})


def referrals_for(user):
    return Referral.objects.visible_to(user).select_related("victim", "partner", "from_office")


class ReferralListView(PageView):
    """Referrals sent by the user's offices and, for a service provider, its inbox of referrals
    to answer (pending first)."""

    template_name = "victims/referral_list.html"

    def get_template_names(self):
        if is_htmx(self.request) and self.request.headers.get("HX-Target") == "referral-results":
            return ["victims/_referral_results.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        user = self.request.user
        scope = scope_of(user)
        form = victim_forms.ReferralFilterForm(self.request.GET or None)
        form.is_valid()
        data = getattr(form, "cleaned_data", {})
        referrals = referrals_for(user)
        status = data.get("status")
        if status == "open":
            referrals = referrals.filter(status__in=sorted(OPEN_REFERRAL_STATUSES))
        elif status:
            referrals = referrals.filter(status=status)
        if data.get("box") == "in":
            referrals = referrals.filter(partner_id__in=sorted(scope.partner_ids))
        elif data.get("box") == "out":
            referrals = referrals.filter(from_office_id__in=sorted(scope.view_office_ids))
        rows = referrals.annotate(status_order=REFERRAL_STATUS_ORDER).order_by(
            "status_order", "-created_at", "-id"
        )
        page = paginate_bounded(self.request, rows)
        for referral in page:
            referral.to_me = referral.partner_id in scope.partner_ids
        return {
            **super().get_context_data(**kwargs),
            "form": form,
            "page": page,
            "is_provider": bool(scope.partner_ids),
            "is_office": scope.is_hq or bool(scope.view_office_ids),
            "accept_form": victim_forms.NoteForm(),
        }


def referral_for_user(user, pk: int) -> Referral:
    return get_visible_or_404(referrals_for(user).select_related("created_by"), pk=pk)


class Role:
    """The user's footing on one referral: the receiving partner, the referring office, both."""

    def __init__(self, user, referral: Referral):
        scope = scope_of(user)
        self.is_provider = referral.partner_id in scope.partner_ids
        self.is_sender = can_work_office(user, referral.from_office_id)
        allowed = REFERRAL_TRANSITIONS[referral.status]
        status = referral.status
        paused = referral.paused_at is not None
        self.is_paused = paused
        self.can_resume = self.is_sender and paused and referral.is_open
        # A paused referral may be declined, closed or revoked, not taken further.
        self.can_accept = self.is_provider and ReferralStatus.ACCEPTED in allowed and not paused
        self.can_decline = self.is_provider and ReferralStatus.DECLINED in allowed
        self.can_progress = (
            self.is_provider and ReferralStatus.IN_PROGRESS in allowed and not paused
        )
        self.can_complete = self.is_provider and ReferralStatus.COMPLETED in allowed and not paused
        self.can_close = (self.is_provider or self.is_sender) and ReferralStatus.CLOSED in allowed
        self.can_revoke = self.is_sender and ReferralStatus.REVOKED in allowed
        self.can_follow_up = (self.is_provider or self.is_sender) and status in (
            ReferralStatus.ACCEPTED,
            ReferralStatus.IN_PROGRESS,
            ReferralStatus.COMPLETED,
        )

    @property
    def any_action(self) -> bool:
        return any(
            (
                self.can_accept,
                self.can_decline,
                self.can_progress,
                self.can_complete,
                self.can_close,
                self.can_revoke,
                self.can_resume,
            )
        )


def referral_page_context(request, referral: Referral, **extra) -> dict:
    updates = list(
        ReferralUpdate.objects.filter(referral=referral)
        .select_related("author")
        .order_by("created_at", "id")
    )
    followups = list(ReintegrationFollowUp.objects.filter(referral=referral).order_by("due_on"))
    context = {
        "referral": referral,
        "role": Role(request.user, referral),
        "updates": updates,
        "followups": followups,
        "schedule_form": extra.pop("schedule_form", None) or victim_forms.FollowUpScheduleForm(),
        **extra,
    }
    return page_extensions("referral", request, referral, context)


class ReferralDetailView(PageView):
    template_name = "victims/referral_detail.html"

    def get_context_data(self, **kwargs):
        referral = referral_for_user(self.request.user, kwargs["pk"])
        return {
            **super().get_context_data(**kwargs),
            **referral_page_context(self.request, referral),
        }


# What each referral action asks for and does: (form, service call, message, page heading).
ACTIONS = {
    "accept": (
        victim_forms.NoteForm,
        lambda user, r, d: services.referral_accept(
            acting_user=user, referral=r, note=d["note"], expected_version=d.get("version")
        ),
        gettext_lazy("Referral accepted; {office} is told."),
        gettext_lazy("Accept this referral"),
    ),
    "decline": (
        victim_forms.DeclineForm,
        lambda user, r, d: services.referral_decline(
            acting_user=user, referral=r, reason=d["reason"], expected_version=d.get("version")
        ),
        gettext_lazy("Referral declined; {office} is told why."),
        gettext_lazy("Decline this referral"),
    ),
    "progress": (
        victim_forms.ProgressForm,
        lambda user, r, d: services.referral_progress(
            acting_user=user, referral=r, note=d["note"], expected_version=d.get("version")
        ),
        gettext_lazy("Progress reported; {office} is told."),
        gettext_lazy("Report progress"),
    ),
    "complete": (
        victim_forms.NoteForm,
        lambda user, r, d: services.referral_complete(
            acting_user=user, referral=r, note=d["note"], expected_version=d.get("version")
        ),
        gettext_lazy("Referral completed; {office} is told."),
        gettext_lazy("Mark the service as delivered"),
    ),
    "close": (
        victim_forms.NoteForm,
        lambda user, r, d: services.referral_close(
            acting_user=user, referral=r, note=d["note"], expected_version=d.get("version")
        ),
        gettext_lazy("Referral closed."),
        gettext_lazy("Close this referral without completing it"),
    ),
    "revoke": (
        victim_forms.RevokeForm,
        lambda user, r, d: services.referral_revoke(
            acting_user=user, referral=r, reason=d["reason"], expected_version=d.get("version")
        ),
        gettext_lazy("Referral revoked; {partner} is told to stop."),
        gettext_lazy("Revoke this referral"),
    ),
    "resume": (
        victim_forms.ResumeForm,
        lambda user, r, d: services.referral_resume(
            acting_user=user,
            referral=r,
            override_reason=d["override_reason"],
            expected_version=d.get("version"),
        ),
        gettext_lazy("Referral resumed; {partner} is told."),
        gettext_lazy("Resume this paused referral"),
    ),
}


class ReferralActionView(LoginRequiredMixin, submit_once.SpentTokenMixin, View):
    """GET: the action's form; POST: the service call. From the inbox, htmx swaps the row."""

    form_token = submit_once.REQUIRED  # for a progress report; the others check it when sent

    template_name = "victims/referral_action.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if kwargs["action"] not in ACTIONS:
            raise Http404("No such action.")
        self.referral = referral_for_user(request.user, kwargs["pk"])
        self.form_class, self.call, self.message, self.heading = ACTIONS[kwargs["action"]]
        return super().dispatch(request, *args, **kwargs)

    def render_form(self, form, status=200, **extra):
        context = {
            "referral": self.referral,
            "form": form,
            "heading": self.heading,
            "action": self.kwargs["action"],
            "danger": self.kwargs["action"] in ("decline", "revoke", "close"),
            **extra,
        }
        # What other apps add to the form (the evidence app's files): glo_act.pages.extend_page.
        page_extensions("referral_action", self.request, self.referral, context)
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, pk, action):
        return self.render_form(self.form_class(initial={"version": self.referral.version}))

    def conflict(self, form, exc: ConflictError):
        """The referral moved on since the page was drawn (another tab, a colleague, the other
        side): show what changed, keep the user's note; the form now carries the current
        version, unless the action is no longer possible at all."""
        self.referral = current = referral_for_user(self.request.user, self.kwargs["pk"])
        data, rows = merge(form, exc, current.version)
        role = Role(self.request.user, current)
        still = getattr(role, f"can_{self.kwargs['action']}", False)
        done = (
            ""
            if still
            else f"It is now {current.get_status_display().lower()}"
            + (", and paused" if current.paused_at else "")
            + ": this action is no longer possible, so there is nothing left to save."
        )
        return self.render_form(
            self.form_class(data=data),
            conflict=exc,
            conflict_changes=rows,
            conflict_done=done,
        )

    def post(self, request, pk, action):
        form = self.form_class(request.POST)
        # From the inbox, htmx asks for the row back (success or refusal), never a page.
        as_row = is_htmx(request) and request.headers.get("HX-Target", "").startswith("ref-")
        if form.is_valid():
            try:
                outcome = submit_once.run(
                    request,
                    lambda: self.call(request.user, self.referral, form.cleaned_data),
                    result_url=lambda referral: reverse("victims:referral", kwargs={"pk": pk}),
                    # A progress report adds a note each time; the other actions change the
                    # status, which refuses a replay.
                    required=action == "progress",
                )
            except ConflictError as exc:
                if as_row:
                    return self.row(referral_for_user(request.user, pk), error=exc.message)
                return self.conflict(form, exc)
            except DomainError as exc:
                if as_row:
                    return self.row(referral_for_user(request.user, pk), error=exc.message)
                add_domain_error(form, exc)
            else:
                if outcome.repeated:
                    if as_row:
                        referral = referral_for_user(request.user, pk)
                        return self.row(referral, done=submit_once.ALREADY_SAVED)
                    messages.info(request, submit_once.ALREADY_SAVED)
                    return redirect(outcome.url)
                referral = outcome.result
                text = self.message.format(
                    office=referral.from_office.name, partner=referral.partner
                )
                if as_row:
                    return self.row(referral, done=text)
                messages.success(request, text)
                return redirect("victims:referral", pk=referral.pk)
        return self.render_form(form)

    def row(self, referral: Referral, **extra):
        referral.to_me = referral.partner_id in scope_of(self.request.user).partner_ids
        return render(self.request, "victims/_referral_row.html", {"referral": referral, **extra})


class FollowUpScheduleView(LoginRequiredMixin, submit_once.SpentTokenMixin, View):
    """POST from the referral page: plan up to three follow-ups."""

    form_token = submit_once.REQUIRED

    def post(self, request, pk):
        referral = referral_for_user(request.user, pk)
        form = victim_forms.FollowUpScheduleForm(request.POST)
        if form.is_valid():
            try:
                outcome = submit_once.run(
                    request,
                    lambda: services.followup_schedule(
                        acting_user=request.user, referral=referral, due_dates=form.dates()
                    ),
                    result_url=lambda planned: (
                        reverse("victims:referral", kwargs={"pk": pk}) + "#followups"
                    ),
                    required=True,
                )
            except DomainError as exc:
                _domain_error(form, exc, {"due_dates": "first", "due_on": "first"})
            else:
                if outcome.repeated:
                    messages.info(request, submit_once.ALREADY_SAVED)
                else:
                    count = len(outcome.result)
                    messages.success(
                        request, f"{count} follow-up{'s' if count != 1 else ''} planned."
                    )
                return redirect(outcome.url)
        context = referral_page_context(request, referral, schedule_form=form)
        return render(request, "victims/referral_detail.html", context)


class FollowUpRecordView(DomainFormView):
    """Record a done follow-up's three scores and notes."""

    form_token = submit_once.WHEN_SENT

    template_name = "victims/followup_form.html"
    form_class = victim_forms.FollowUpRecordForm
    success_message = gettext_lazy("Follow-up recorded.")

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.followup = get_visible_or_404(
            ReintegrationFollowUp.objects.visible_to(request.user).select_related(
                "referral__victim", "referral__partner"
            ),
            pk=kwargs["pk"],
        )
        # Opening a recorded one goes back to the referral; a post (from a page opened before
        # it was recorded) reaches the service, which refuses it with a merge.
        if self.followup.done_at is not None and request.method != "POST":
            messages.info(request, gettext("This follow-up is already recorded."))
            return redirect(self.get_success_url())
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {"version": self.followup.version}

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "followup": self.followup,
            "referral": self.followup.referral,
        }

    def perform(self, form):
        data = form.cleaned_data
        return services.followup_record(
            acting_user=self.request.user,
            followup=self.followup,
            economic_score=int(data["economic_score"]),
            social_score=int(data["social_score"]),
            psychosocial_score=int(data["psychosocial_score"]),
            notes=data.get("notes", ""),
            expected_version=data.get("version"),
        )

    def conflict(self, form, exc: ConflictError):
        """Recorded meanwhile by someone else: their scores against the user's, which the form
        keeps where they differ; saving again on the current version corrects the record."""
        current = ReintegrationFollowUp.objects.get(pk=self.followup.pk)  # scoped: visible
        data, rows = merge(form, exc, current.version)
        context = {
            "form": self.get_form_class()(data=data),
            "conflict": exc,
            "conflict_changes": rows,
            "clashes": [row for row in rows if row["outcome"] == "clash"],
        }
        return self.render_to_response(self.get_context_data(**context))

    def get_success_url(self):
        return reverse("victims:referral", kwargs={"pk": self.followup.referral_id}) + "#followups"


__all__ = [
    "ConsentRecordView",
    "ConsentWithdrawView",
    "FollowUpRecordView",
    "FollowUpScheduleView",
    "ReferralActionView",
    "ReferralCreateView",
    "ReferralDetailView",
    "ReferralListView",
    "VictimDetailView",
    "VictimEditView",
    "VictimListView",
    "VictimRegisterView",
    "VictimRevealView",
]
