"""HQ admin for victims, consents, referrals and the personal-data access log.

Lists and forms show the code and non-identifying fields only. Personal data appears after an
explicit "reveal" (with a reason), which goes through `victims.access.reveal_personal_data`
and so writes a `PersonalDataAccess` row with door=admin. Every save goes through
`victims.services`, the same write path as the pages and the API.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from cases.constants import (
    Exploitation,
    LabourSector,
    MeansOfControl,
    OnlinePlatform,
    RecruitmentMethod,
    TraffickingAct,
    TraffickingMeans,
)
from cases.models import Case
from glo_act.errors import DomainError
from liaison_offices.admin import DomainErrorsAsMessages
from liaison_offices.constants import Service
from victims import access, services
from victims.constants import (
    ALL_PERSONAL_FIELDS,
    RECORDABLE_LAWFUL_BASES,
    AccessDoor,
    ConsentPurpose,
    PersonalField,
    RevealPurpose,
    Vulnerability,
)
from victims.crypto import PersonalDataUnreadable
from victims.models import (
    Consent,
    PersonalDataAccess,
    Referral,
    ReferralUpdate,
    ReintegrationFollowUp,
    Victim,
    VictimCaseLink,
)

FACT_FIELDS = [
    "sex",
    "age_at_identification",
    "identified_on",
    "nationality",
    "languages",
    "identification_status",
    "identified_by",
    "forms_of_exploitation",
    "vulnerabilities",
    "migration_status",
    "recruitment_methods",
    "recruiter_relationship",
    "means_of_control",
    "labour_sectors",
    "recruitment_platforms",
    "exploitation_platforms",
    "screening_acts",
    "screening_means",
    "screening_purposes",
]


def _checkboxes(choices) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        choices=choices.choices, required=False, widget=forms.CheckboxSelectMultiple
    )


class VictimFactsForm(forms.ModelForm):
    """The non-identifying facts of a victim (the change form)."""

    forms_of_exploitation = forms.MultipleChoiceField(
        choices=Exploitation.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    vulnerabilities = forms.MultipleChoiceField(
        choices=Vulnerability.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    recruitment_methods = _checkboxes(RecruitmentMethod)
    means_of_control = _checkboxes(MeansOfControl)
    labour_sectors = _checkboxes(LabourSector)
    recruitment_platforms = _checkboxes(OnlinePlatform)
    exploitation_platforms = _checkboxes(OnlinePlatform)
    screening_acts = _checkboxes(TraffickingAct)
    screening_means = _checkboxes(TraffickingMeans)
    screening_purposes = _checkboxes(Exploitation)

    class Meta:
        model = Victim
        fields = FACT_FIELDS


class VictimAddForm(VictimFactsForm):
    """Facts plus the case and personal data, for `victim_register`."""

    case = forms.ModelChoiceField(queryset=Case.objects.all(), help_text="Reference of the case")
    full_name = forms.CharField(required=False, max_length=200)
    date_of_birth = forms.DateField(required=False)
    passport_number = forms.CharField(required=False, max_length=40)
    cnic_number = forms.CharField(label="CNIC number", required=False, max_length=40)
    phone = forms.CharField(required=False, max_length=40)
    address = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    processing_consent = forms.BooleanField(
        label="The victim consents to the processing of their personal data",
        required=False,
    )
    lawful_basis = forms.ChoiceField(
        label="Or: lawful basis without consent",
        required=False,
        choices=[("", "None")] + RECORDABLE_LAWFUL_BASES,
        help_text="Personal data is stored only with that consent or on one of these bases.",
    )
    lawful_basis_note = forms.CharField(
        label="Why this basis applies", required=False, max_length=300
    )

    BASIS_FIELDS = ["processing_consent", "lawful_basis", "lawful_basis_note"]


class CaseLinkInline(admin.TabularInline):
    model = VictimCaseLink
    extra = 0
    fields = ["case", "linked_at", "linked_by"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Victim)
class VictimAdmin(DomainErrorsAsMessages, SimpleHistoryAdmin):
    list_display = [
        "code",
        "recorded_by_office",
        "sex",
        "age_band",
        "is_child",
        "nationality",
        "identification_status",
        "created_at",
    ]
    list_filter = [
        "identification_status",
        "sex",
        "is_child",
        "recorded_by_office",
        "lawful_basis",
    ]
    search_fields = ["code"]
    inlines = [CaseLinkInline]
    # The history pages must not compare or show encrypted fields either.
    history_list_display = ["identification_status"]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = VictimFactsForm if obj is not None else VictimAddForm
        kwargs["fields"] = None
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            personal = ["case", *ALL_PERSONAL_FIELDS]
            return [
                (None, {"fields": personal}),
                ("Basis for holding personal data", {"fields": VictimAddForm.BASIS_FIELDS}),
                ("Facts", {"fields": FACT_FIELDS}),
            ]
        return [
            (
                None,
                {
                    "fields": [
                        "code",
                        "recorded_by_office",
                        "personal_data",
                        "lawful_basis",
                        "lawful_basis_note",
                    ]
                },
            ),
            ("Facts", {"fields": FACT_FIELDS + ["age_band", "is_child"]}),
            ("Record", {"fields": ["recorded_by", "created_at", "updated_at"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "code",
            "recorded_by_office",
            "personal_data",
            "lawful_basis",
            "lawful_basis_note",
            "age_band",
            "is_child",
            "recorded_by",
            "created_at",
            "updated_at",
        ]

    def get_queryset(self, request):
        return Victim.objects.visible_to(request.user).select_related(
            "recorded_by_office", "nationality"
        )

    @admin.display(description="Personal data")
    def personal_data(self, obj: Victim) -> str:
        url = reverse("admin:victims_victim_reveal", args=[obj.pk])
        return format_html(
            '<a class="button" href="{}">Reveal personal data</a> '
            "<span class='help'>Each reveal is recorded in the access log.</span>",
            url,
        )

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            facts = {name: data[name] for name in form.changed_data if name in FACT_FIELDS}
            if facts:
                services.victim_update(acting_user=request.user, victim=obj, **facts)
            return
        result = services.victim_register(
            acting_user=request.user,
            case=data["case"],
            **{name: data[name] for name in FACT_FIELDS},
            **{name: data[name] for name in ALL_PERSONAL_FIELDS},
            consents=(
                [{"purpose": ConsentPurpose.DATA_PROCESSING}] if data["processing_consent"] else []
            ),
            lawful_basis=data["lawful_basis"],
            lawful_basis_note=data["lawful_basis_note"],
        )
        obj.pk = result.victim.pk
        obj.code = result.victim.code
        for hint in result.duplicate_hints:
            labels = ", ".join(PersonalField(f).label.lower() for f in hint.matched_fields)
            messages.warning(
                request,
                f"Possible duplicate: {hint.office} recorded someone with the same {labels}. "
                "Contact that office.",
            )

    def save_related(self, request, form, formsets, change):
        pass  # the case link is made by victim_register; links are read-only here

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        reveal = path(
            "<path:object_id>/reveal/",
            self.admin_site.admin_view(self.reveal_view),
            name="victims_victim_reveal",
        )
        return [reveal, *super().get_urls()]

    def reveal_view(self, request, object_id):
        """Ask why, then show the personal data and record the read (door=admin). Like a reveal
        on the pages, it needs a second-factor check from the last REVEAL_STEP_UP_MINUTES."""
        from accounts import two_factor

        if not two_factor.is_fresh(request):
            return two_factor.redirect_to_step_up(request)
        victim = get_object_or_404(self.get_queryset(request), pk=object_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": victim,
            "title": f"Personal data of {victim.code}",
            "personal": None,
        }
        if request.method == "POST":
            reason = request.POST.get("reason", "").strip()
            if not reason:
                messages.error(request, "Say why you need to see this victim's personal data.")
            else:
                try:
                    context["personal"] = access.reveal_personal_data(
                        user=request.user,
                        victim=victim,
                        door=AccessDoor.ADMIN,
                        purpose=RevealPurpose.OVERSIGHT,
                        reason=reason[:200],
                    )
                except PersonalDataUnreadable as exc:
                    messages.error(request, str(exc))
                    return HttpResponseRedirect(
                        reverse("admin:victims_victim_change", args=[victim.pk])
                    )
                context["rows"] = [
                    (PersonalField(name).label, context["personal"].get(name))
                    for name in context["personal"].fields
                ]
        return TemplateResponse(request, "admin/victims/victim/reveal.html", context)


class ConsentAddForm(forms.ModelForm):
    class Meta:
        model = Consent
        fields = ["victim", "purpose", "partner", "office", "service", "note"]


@admin.register(Consent)
class ConsentAdmin(DomainErrorsAsMessages, SimpleHistoryAdmin):
    form = ConsentAddForm
    list_display = [
        "victim",
        "purpose",
        "partner",
        "office",
        "service",
        "recorded_at",
        "withdrawn_at",
    ]
    list_filter = ["purpose", ("withdrawn_at", admin.EmptyFieldListFilter), "partner"]
    search_fields = ["victim__code"]
    raw_id_fields = ["victim"]
    actions = ["withdraw"]

    def get_queryset(self, request):
        return Consent.objects.visible_to(request.user).select_related(
            "victim", "partner", "office"
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "victim",
            "purpose",
            "partner",
            "office",
            "service",
            "note",
            "recorded_by",
            "recorded_at",
            "withdrawn_at",
            "withdrawn_by",
        ]

    def save_model(self, request, obj, form, change):
        if change:
            return  # consents are recorded and withdrawn, never edited
        data = form.cleaned_data
        created = services.consent_record(
            acting_user=request.user,
            victim=data["victim"],
            purpose=data["purpose"],
            partner=data["partner"],
            office=data["office"],
            service=data["service"],
            note=data["note"],
        )
        obj.pk = created.pk

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Withdraw the selected consents")
    def withdraw(self, request, queryset):
        done = 0
        for consent in queryset.filter(withdrawn_at__isnull=True):
            try:
                services.consent_withdraw(acting_user=request.user, consent=consent)
            except (DomainError, Http404) as exc:
                messages.error(request, getattr(exc, "message", str(exc)))
                continue
            done += 1
        self.message_user(request, f"Withdrew {done} consent(s).", messages.SUCCESS)


class ReferralUpdateInline(admin.TabularInline):
    model = ReferralUpdate
    extra = 0
    fields = ["created_at", "author", "kind", "status_from", "status_to", "body"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class FollowUpInline(admin.TabularInline):
    model = ReintegrationFollowUp
    extra = 0
    fields = [
        "due_on",
        "economic_score",
        "social_score",
        "psychosocial_score",
        "notes",
        "done_at",
        "done_by",
    ]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ReferralAddForm(forms.ModelForm):
    service = forms.ChoiceField(choices=Service.choices)

    class Meta:
        model = Referral
        fields = ["victim", "from_office", "partner", "service", "note", "override_reason"]
        help_texts = {
            "from_office": "Empty: the office that recorded the victim.",
            "override_reason": "Only without the victim's consent; needs the override permission.",
        }


@admin.register(Referral)
class ReferralAdmin(DomainErrorsAsMessages, SimpleHistoryAdmin):
    form = ReferralAddForm
    list_display = [
        "id",
        "victim",
        "from_office",
        "partner",
        "service",
        "status",
        "sent_without_consent",
        "created_at",
    ]
    list_filter = ["status", "service", "partner", "from_office"]
    search_fields = ["victim__code"]
    raw_id_fields = ["victim"]
    inlines = [ReferralUpdateInline, FollowUpInline]
    actions = ["revoke"]

    def get_queryset(self, request):
        return Referral.objects.visible_to(request.user).select_related(
            "victim", "from_office", "partner"
        )

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ReferralAddForm
            form = super().get_form(request, obj, change=change, **kwargs)
            form.base_fields["from_office"].required = False
            return form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [f.name for f in Referral._meta.fields]

    @admin.display(boolean=True, description="override")
    def sent_without_consent(self, obj: Referral) -> bool:
        return obj.consent_id is None

    def save_model(self, request, obj, form, change):
        if change:
            return  # status changes go through the pages, the API or the revoke action
        data = form.cleaned_data
        created = services.referral_create(
            acting_user=request.user,
            victim=data["victim"],
            partner=data["partner"],
            service=data["service"],
            note=data["note"],
            override_reason=data["override_reason"],
            office=data["from_office"],
        )
        obj.pk = created.pk

    def save_formset(self, request, form, formset, change):
        pass  # updates and follow-ups are written by the services only

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Revoke the selected referrals")
    def revoke(self, request, queryset):
        done = 0
        for referral in queryset:
            try:
                services.referral_revoke(
                    acting_user=request.user, referral=referral, reason="Revoked by HQ"
                )
            except (DomainError, Http404) as exc:
                messages.error(request, f"Referral {referral.pk}: {getattr(exc, 'message', exc)}")
                continue
            done += 1
        self.message_user(request, f"Revoked {done} referral(s).", messages.SUCCESS)


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(admin.ModelAdmin):
    """The access log: read-only, for audit."""

    list_display = ["at", "user", "victim", "door", "fields", "reason"]
    list_filter = ["door"]
    search_fields = ["victim__code", "user__username"]
    date_hierarchy = "at"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "victim")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
