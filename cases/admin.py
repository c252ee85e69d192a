"""HQ admin for cases, shares, cooperation requests, statutes and legal provisions.

Every write goes through `cases.services`, the same path as the pages and the API: saving a case
is `case_create` / `case_update` / `case_transition`, the route and suspect inlines are
`case_set_route` / `case_set_suspects`, a new share row is `case_share`, and shares are revoked
(never deleted) with an action. Cases, shares and requests are never deleted: a reference is
never reused, and a share's row is the record of who could see what. A refusal from a service —
a stale edit above all — is shown as an error message on the page, never a 500.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Exists, OuterRef
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from cases import services
from cases.constants import (
    Exploitation,
    HandlingCode,
    MeansOfControl,
    RequestStatus,
    SuspectRole,
)
from cases.models import (
    Case,
    CaseGrant,
    CaseShare,
    CooperationRequest,
    JusticeEvent,
    LegalProvision,
    RouteLeg,
    Statute,
    Suspect,
    TimelineEvent,
)
from glo_act.errors import ConflictError, DomainError
from liaison_offices.access import is_hq


class DomainErrorsAsMessages:
    """A service's refusal becomes an error message and a fresh copy of the page.

    The admin's own transaction around the view rolls back everything the request did.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(request.get_full_path())


# --- list filters -------------------------------------------------------------------------------


class ExploitationFilter(admin.SimpleListFilter):
    title = "form of exploitation"
    parameter_name = "exploitation"

    def lookups(self, request, model_admin):
        return Exploitation.choices

    def queryset(self, request, queryset):
        if self.value() in Exploitation.values:
            return queryset.with_exploitation(self.value())
        return queryset


class ShareHandlingCodeFilter(admin.SimpleListFilter):
    title = "shared under handling code"
    parameter_name = "shared_under"

    def lookups(self, request, model_admin):
        return HandlingCode.choices

    def queryset(self, request, queryset):
        if self.value() not in HandlingCode.values:
            return queryset
        live = CaseGrant.objects.live_for().filter(
            case_id=OuterRef("pk"), is_lead=False, handling_code=self.value()
        )
        return queryset.filter(Exists(live))


class ShareStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("live", "Live"), ("expired", "Expired"), ("revoked", "Revoked")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "live":
            return queryset.live(now)
        if self.value() == "expired":
            return queryset.filter(revoked_at__isnull=True).exclude(pk__in=queryset.live(now))
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue")]

    def queryset(self, request, queryset):
        return queryset.overdue() if self.value() == "yes" else queryset


# --- inlines ------------------------------------------------------------------------------------


class RouteLegInline(admin.TabularInline):
    """Saved as a whole with `case_set_route`, in the order shown (new legs go last)."""

    model = RouteLeg
    extra = 0
    fields = ["stage", "country", "place", "mode", "date"]
    autocomplete_fields = ["country"]


class SuspectInlineForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(
        choices=SuspectRole.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Suspect
        fields = ["name", "roles", "nationality", "sex", "age_band"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.instance.roles:
            self.initial["roles"] = [self.instance.role]


class SuspectInline(admin.TabularInline):
    """Saved as a whole with `case_set_suspects`."""

    model = Suspect
    form = SuspectInlineForm
    extra = 0
    fields = ["name", "roles", "nationality", "sex", "age_band"]
    autocomplete_fields = ["nationality"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ShareInline(ReadOnlyInline):
    """The shares as they are (revoke them from the shares list)."""

    model = CaseShare
    fk_name = "case"
    fields = ["recipient", "level", "handling_code", "expires_at", "revoked_at", "shared_by"]
    readonly_fields = fields
    verbose_name_plural = "shares (revoke them from the case shares list)"


class NewShareForm(forms.ModelForm):
    """A share as the admin enters it; `case_share` does the checking that matters."""

    class Meta:
        model = CaseShare
        fields = [
            "case",
            "office",
            "partner",
            "level",
            "handling_code",
            "handling_conditions",
            "expires_at",
        ]

    def _get_validation_exclusions(self):
        # Sharing again replaces the live share to that recipient (the service revokes the old
        # row first), so the partial unique index must not stop the form; and the
        # office-xor-partner rule is said more clearly in clean().
        return super()._get_validation_exclusions() | {"case", "office", "partner"}

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("office") is None) == (cleaned.get("partner") is None):
            raise forms.ValidationError("Choose either an office or a partner organisation.")
        return cleaned


class NewShareFormSet(forms.BaseInlineFormSet):
    creates_shares = True  # recognised in CaseAdmin.save_formset


class NewShareInline(admin.TabularInline):
    """Rows added here become shares through `case_share` (a live share to the same recipient
    is replaced)."""

    model = CaseShare
    fk_name = "case"
    form = NewShareForm
    formset = NewShareFormSet
    extra = 0
    can_delete = False
    fields = ["office", "partner", "level", "handling_code", "handling_conditions", "expires_at"]
    verbose_name = "new share"
    verbose_name_plural = "share this case"

    def get_queryset(self, request):
        return super().get_queryset(request).none()


class RequestInline(ReadOnlyInline):
    model = CooperationRequest
    fields = ["kind", "from_office", "recipient", "urgency", "due_at", "status"]
    readonly_fields = fields


class TimelineInline(ReadOnlyInline):
    model = TimelineEvent
    fields = ["created_at", "kind", "actor", "summary"]
    readonly_fields = fields
    show_change_link = False


# --- cases --------------------------------------------------------------------------------------


class CaseAdminForm(forms.ModelForm):
    forms_of_exploitation = forms.MultipleChoiceField(
        choices=Exploitation.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    means_of_control = forms.MultipleChoiceField(
        choices=MeansOfControl.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    # The version the page was loaded at: saving on top of a newer one is refused.
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why the status changes (needed to reopen a closed case).",
    )

    class Meta:
        model = Case
        fields = [
            "lead_office",
            "kind",
            "title",
            "summary",
            "status",
            "outcome",
            "forms_of_exploitation",
            "labour_sector",
            "means_of_control",
            "recruiter_relationship",
            "legal_provisions",
            "host_country_law",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "legal_provisions" in self.fields:  # with their statutes: one query, not one each
            self.fields["legal_provisions"].queryset = LegalProvision.objects.ordered()
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            current = Case.objects.get(pk=self.instance.pk)  # HQ admin: every case is visible
            try:
                services.check_version(current, cleaned.get("expected_version"))
            except ConflictError as exc:
                raise forms.ValidationError(exc.message, code="conflict")
        return cleaned


class ReassignAdminForm(forms.Form):
    to_officer = forms.ModelChoiceField(label="New officer", queryset=None)


@admin.register(Case)
class CaseAdmin(DomainErrorsAsMessages, SimpleHistoryAdmin):
    form = CaseAdminForm
    list_display = [
        "reference", "title", "kind", "lead_office", "status", "assigned_to", "updated_at"
    ]  # fmt: skip
    list_filter = [
        "lead_office",
        "kind",
        "status",
        ExploitationFilter,
        ShareHandlingCodeFilter,
    ]
    search_fields = ["reference"]  # widened in get_search_results
    search_help_text = "Reference, title, suspect name or route place."
    list_select_related = ["lead_office", "assigned_to"]
    filter_horizontal = ["legal_provisions"]
    actions = ["reassign_cases"]
    inlines = [
        RouteLegInline,
        SuspectInline,
        ShareInline,
        NewShareInline,
        RequestInline,
        TimelineInline,
    ]

    def get_queryset(self, request):
        return Case.objects.visible_to(request.user)

    def get_search_results(self, request, queryset, search_term):
        return queryset.search(search_term, user=request.user), False

    def get_readonly_fields(self, request, obj=None):
        fixed = ["reference", "version", "created_at", "created_by", "updated_at", "updated_by"]
        if obj is None:
            return fixed
        if is_hq(request.user):  # HQ hands a case to another lead office (the service's rule)
            return ["kind", *fixed]
        return ["lead_office", "kind", *fixed]

    def get_fields(self, request, obj=None):
        fields = [*CaseAdminForm.Meta.fields, "expected_version", "reason"]
        if obj is None:
            # A new case starts as reported; the route and suspects follow in the inlines.
            fields = [f for f in fields if f not in ("status", "outcome", "reason")]
        return [*fields, *self.get_readonly_fields(request, obj)]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # closed, never deleted: a reference is never reused

    def revert_disabled(self, request, obj=None) -> bool:
        return True  # a revert would write past the services

    @admin.action(description="Reassign the selected cases…")
    def reassign_cases(self, request, queryset):
        """Bulk reassignment (docs/casework.md): choose the officer, confirm once; the cases
        move per lead office and former officer through `cases_reassign`, all or nothing in
        each group, and one summary says what moved."""
        cases = list(queryset.select_related("lead_office", "assigned_to").order_by("reference"))
        offices = {case.lead_office_id for case in cases}
        officers = services.officers_of(next(iter(offices))) if len(offices) == 1 else None
        form = ReassignAdminForm(request.POST if "apply" in request.POST else None)
        if officers is None:
            self.message_user(
                request, "Reassign the cases of one lead office at a time.", messages.ERROR
            )
            return None
        form.fields["to_officer"].queryset = officers
        if form.is_bound and form.is_valid():
            to_officer = form.cleaned_data["to_officer"]
            groups: dict = {}
            for case in cases:
                groups.setdefault(case.assigned_to, []).append(case)
            moved = 0
            for former, group in groups.items():
                if former is not None and former.pk == to_officer.pk:
                    continue
                try:
                    moved += len(
                        services.cases_reassign(
                            acting_user=request.user,
                            office=group[0].lead_office,
                            from_officer=former,
                            to_officer=to_officer,
                            cases=group,
                        )
                    )
                except DomainError as exc:
                    self.message_user(request, exc.message, messages.ERROR)
            if moved:
                self.message_user(
                    request,
                    f"{moved} case(s) reassigned to {to_officer.get_full_name() or to_officer}.",
                    messages.SUCCESS,
                )
            return None
        return TemplateResponse(
            request,
            "admin/cases/reassign.html",
            {
                **self.admin_site.each_context(request),
                "title": "Reassign cases",
                "cases": cases,
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = services.case_create(
                acting_user=request.user,
                lead_office=data["lead_office"],
                kind=data["kind"],
                **{
                    field: data[field]
                    for field in services.EDITABLE_FIELDS
                    if field in data and data[field] is not None
                },
            )
            obj.pk = created.pk
            obj.refresh_from_db()
            return
        case = obj
        version = data.get("expected_version")
        fields = {f: data[f] for f in form.changed_data if f in services.EDITABLE_FIELDS}
        if fields:
            case = services.case_update(
                acting_user=request.user, case=case, expected_version=version, **fields
            )
            version = case.version
        if {"status", "outcome"} & set(form.changed_data):
            services.case_transition(
                acting_user=request.user,
                case=case,
                to_status=data["status"],
                outcome=data.get("outcome") or "",
                reason=data.get("reason") or "",
                expected_version=version,
            )
        if "lead_office" in form.changed_data:
            services.case_change_lead_office(
                acting_user=request.user, case=case, office=data["lead_office"]
            )
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        # Not form.save_m2m(): legal provisions went through the service in save_model.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        # The admin's change message reads these; formset.save() is never called here.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        case = form.instance
        if formset.model is RouteLeg and formset.has_changed():
            rows = [f.cleaned_data for f in _kept_forms(formset)]
            services.case_set_route(
                acting_user=request.user,
                case=case,
                legs=[
                    {k: row.get(k) for k in ("stage", "country", "place", "mode", "date")}
                    for row in rows
                ],
            )
        elif formset.model is Suspect and formset.has_changed():
            services.case_set_suspects(
                acting_user=request.user,
                case=case,
                suspects=[
                    {
                        "id": f.instance.pk,  # a row edited in place keeps its suspect
                        **{
                            k: f.cleaned_data.get(k)
                            for k in ("name", "roles", "nationality", "sex", "age_band")
                        },
                    }
                    for f in _kept_forms(formset)
                ],
            )
        elif getattr(formset, "creates_shares", False):
            for f in _kept_forms(formset):
                if f.instance.pk is None:
                    row = f.cleaned_data
                    services.case_share(
                        acting_user=request.user,
                        case=case,
                        office=row.get("office"),
                        partner=row.get("partner"),
                        level=row["level"],
                        handling_code=row["handling_code"],
                        handling_conditions=row.get("handling_conditions") or "",
                        expires_at=row.get("expires_at"),
                    )
        # Shares already made, requests and the timeline are read-only here.


def _kept_forms(formset) -> list:
    """The formset's filled, non-deleted forms, in page order."""
    return [
        f
        for f in formset.forms
        if f.has_changed() or f.instance.pk is not None
        if not (formset.can_delete and formset._should_delete_form(f))
    ]


# --- shares -------------------------------------------------------------------------------------


@admin.register(CaseShare)
class CaseShareAdmin(DomainErrorsAsMessages, admin.ModelAdmin):
    list_display = [
        "case",
        "recipient",
        "level",
        "handling_code",
        "created_at",
        "expires_at",
        "revoked_at",
        "state",
    ]
    list_filter = [ShareStateFilter, "handling_code", "level", "office", "partner"]
    search_fields = ["case__reference", "case__title"]
    list_select_related = ["case", "office", "partner"]
    autocomplete_fields = ["case"]
    actions = ["revoke_shares"]

    def get_queryset(self, request):
        return CaseShare.objects.visible_to(request.user).with_liveness()

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = NewShareForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # A share is never edited: share again (which replaces it) or revoke it.
        return [f.name for f in CaseShare._meta.fields]

    @admin.display(description="state")
    def state(self, share: CaseShare) -> str:
        if share.revoked_at is not None:
            return "revoked"
        return "live" if share.live else "expired"

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoke instead: the row is the record of who could see what

    def save_model(self, request, obj, form, change):
        if change:
            return  # every field is read-only
        data = form.cleaned_data
        created = services.case_share(
            acting_user=request.user,
            case=data["case"],
            office=data.get("office"),
            partner=data.get("partner"),
            level=data["level"],
            handling_code=data["handling_code"],
            handling_conditions=data.get("handling_conditions") or "",
            expires_at=data.get("expires_at"),
        )
        obj.pk = created.pk
        obj.refresh_from_db()

    @admin.action(description="Revoke the selected shares")
    def revoke_shares(self, request, queryset):
        revoked, refused = 0, []
        for share in queryset.filter(revoked_at__isnull=True).select_related("case"):
            try:
                revoked += len(services.share_revoke(acting_user=request.user, share=share))
            except DomainError as exc:
                refused.append(f"{share.case.reference}: {exc.message}")
        if revoked:
            self.message_user(request, f"Revoked {revoked} share(s).", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.ERROR)
        if not revoked and not refused:
            self.message_user(request, "Those shares were already revoked.", messages.WARNING)


# --- cooperation requests -----------------------------------------------------------------------


class RequestAddForm(forms.ModelForm):
    class Meta:
        model = CooperationRequest
        fields = ["case", "from_office", "to_office", "to_partner", "kind", "urgency", "question"]


@admin.register(CooperationRequest)
class CooperationRequestAdmin(DomainErrorsAsMessages, admin.ModelAdmin):
    list_display = [
        "case",
        "kind",
        "from_office",
        "recipient",
        "urgency",
        "due_at",
        "status",
        "is_overdue",
    ]
    list_filter = [OverdueFilter, "status", "kind", "urgency", "from_office", "to_office"]
    search_fields = ["case__reference", "question"]
    list_select_related = ["case", "from_office", "to_office", "to_partner"]
    autocomplete_fields = ["case"]
    actions = ["close_requests"]

    def get_queryset(self, request):
        return CooperationRequest.objects.visible_to(request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = RequestAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [f.name for f in CooperationRequest._meta.fields]

    @admin.display(boolean=True, description="overdue")
    def is_overdue(self, request_: CooperationRequest) -> bool:
        return request_.is_overdue

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        data = form.cleaned_data
        created = services.request_create(
            acting_user=request.user,
            case=data["case"],
            from_office=data["from_office"],
            to_office=data.get("to_office"),
            to_partner=data.get("to_partner"),
            kind=data["kind"],
            urgency=data["urgency"],
            question=data["question"],
        )
        obj.pk = created.pk
        obj.refresh_from_db()

    @admin.action(description="Close the selected requests")
    def close_requests(self, request, queryset):
        closed = 0
        for item in queryset.exclude(status=RequestStatus.CLOSED):
            try:
                services.request_close(acting_user=request.user, request=item)
                closed += 1
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
        self.message_user(request, f"Closed {closed} request(s).", messages.SUCCESS)


# --- legal provisions ---------------------------------------------------------------------------


class ProvisionInline(admin.TabularInline):
    model = LegalProvision
    extra = 1
    fields = ["section", "title"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a provision a case cites stays; delete one from its own page


@admin.register(Statute)
class StatuteAdmin(admin.ModelAdmin):
    """Reference data: Pakistan's acts and the host countries' statutes whose provisions cases
    cite (docs/investigation.md#the-law-as-written). HQ adds an act here, with its provisions
    below it; a provision with a blank section stands for the act as a whole."""

    list_display = ["short_title", "country", "title", "code", "unit"]
    list_filter = ["country"]
    search_fields = ["code", "title", "short_title"]
    inlines = [ProvisionInline]

    def get_readonly_fields(self, request, obj=None):
        # The code is what provisions refer to: fixed once the statute exists.
        return ["code"] if obj is not None else []

    def has_delete_permission(self, request, obj=None) -> bool:
        return obj is None or not obj.provisions.exists()


@admin.register(LegalProvision)
class LegalProvisionAdmin(admin.ModelAdmin):
    """Reference data: the sections and articles that cases cite."""

    list_display = ["citation", "title", "act"]
    list_filter = ["act__country", "act"]
    list_select_related = ["act"]
    search_fields = ["section", "title", "act__short_title"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # A section cited by a case stays, or the case would silently lose its legal basis.
        return obj is None or not obj.cases.exists()


@admin.register(JusticeEvent)
class JusticeEventAdmin(admin.ModelAdmin):
    """Justice per suspect, read-only: lines are written and withdrawn by the lead office
    through `cases.services.justice` (docs/investigation.md#justice-per-suspect)."""

    list_display = ["date", "suspect", "stage", "verdict", "provision", "country", "case"]
    list_filter = ["stage", "verdict", "country"]
    list_select_related = ["suspect", "provision__act", "country", "case"]
    search_fields = ["case__reference", "suspect__name", "authority", "reference"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


__all__ = [
    "CaseAdmin",
    "CaseShareAdmin",
    "CooperationRequestAdmin",
    "JusticeEventAdmin",
    "LegalProvisionAdmin",
    "StatuteAdmin",
]
