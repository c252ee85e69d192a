"""Forms of the victims pages. They check the shape of the input; the rules are the services'.

A form never saves: its view hands `cleaned_data` to one `victims.services` call, and a
`DomainError` the service raises is shown on the form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.constants import (
    Exploitation,
    LabourSector,
    MeansOfControl,
    OnlinePlatform,
    RecruiterRelationship,
    RecruitmentMethod,
    Sex,
    TraffickingAct,
    TraffickingMeans,
)
from cases.forms import ConfirmForm
from glo_act.errors import DomainError
from glo_act.pages import PageForm
from glo_act.validation import check_in_order, check_not_future, check_not_past
from liaison_offices.constants import Service
from liaison_offices.models import LinkOffice, PartnerOrganisation
from victims.constants import (
    RECORDABLE_LAWFUL_BASES,
    ConsentPurpose,
    IdentificationStatus,
    IdentifiedBy,
    MigrationStatus,
    PersonalField,
    ReferralStatus,
    RevealPurpose,
    Vulnerability,
)

PERSONAL_FIELDS = tuple(PersonalField.values)
# HTCDS's per-victim fields, and the screening (docs/investigation.md#htcds-fields).
HTCDS_FIELDS = (
    "recruitment_methods",
    "recruiter_relationship",
    "means_of_control",
    "labour_sectors",
    "recruitment_platforms",
    "exploitation_platforms",
)
SCREENING_FIELDS = ("screening_acts", "screening_means", "screening_purposes")
FACT_FIELDS = (
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
    *HTCDS_FIELDS,
    *SCREENING_FIELDS,
)
SCORE_CHOICES = [
    ("1", "1 — very poor"),
    ("2", "2 — poor"),
    ("3", "3 — fair"),
    ("4", "4 — good"),
    ("5", "5 — very good"),
]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _blank(choices, label: str = "—"):
    return [("", label), *choices]


def _checkboxes(label: str, choices, help_text: str = "") -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        required=False,
        choices=choices.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=help_text,
    )


class VictimForm(PageForm):
    """Personal data (encrypted on save) and the non-identifying facts of a victim."""

    full_name = forms.CharField(label=_("Full name"), required=False, max_length=200)
    date_of_birth = forms.DateField(label=_("Date of birth"), required=False, widget=DateInput())
    passport_number = forms.CharField(label=_("Passport number"), required=False, max_length=40)
    cnic_number = forms.CharField(
        label=_("CNIC number"), required=False, max_length=20, help_text=_("e.g. 35202-1234567-1")
    )
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    address = forms.CharField(
        label=_("Address"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, initial=Sex.UNKNOWN)
    age_at_identification = forms.IntegerField(
        label=_("Age when identified"),
        required=False,
        min_value=0,
        max_value=120,
        help_text=_("In years. Left blank, it is worked out from the date of birth."),
    )
    identified_on = forms.DateField(label=_("Identified on"), widget=DateInput())
    nationality = forms.ChoiceField(label=_("Nationality"), required=False)
    languages = forms.CharField(
        label=_("Languages spoken"),
        required=False,
        max_length=200,
        help_text=_("Separated by commas, e.g. Urdu, Punjabi, English"),
    )
    identification_status = forms.ChoiceField(
        label=_("Identification status"),
        choices=IdentificationStatus.choices,
        initial=IdentificationStatus.POSSIBLE,
    )
    identified_by = forms.ChoiceField(
        label=_("Status decided by"),
        required=False,
        choices=_blank(IdentifiedBy.choices),
        help_text=_("Needed unless the status is 'possible victim'."),
    )
    forms_of_exploitation = forms.MultipleChoiceField(
        label=_("Forms of exploitation"),
        required=False,
        choices=Exploitation.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    vulnerabilities = forms.MultipleChoiceField(
        label=_("Vulnerabilities"),
        required=False,
        choices=Vulnerability.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    migration_status = forms.ChoiceField(
        label=_("Migration status"),
        choices=MigrationStatus.choices,
        initial=MigrationStatus.UNKNOWN,
    )
    recruitment_methods = _checkboxes("Method of recruitment", RecruitmentMethod)
    recruiter_relationship = forms.ChoiceField(
        label=_("Recruiter's relationship to the victim"),
        required=False,
        choices=_blank(RecruiterRelationship.choices),
    )
    means_of_control = _checkboxes("Means of control", MeansOfControl)
    labour_sectors = _checkboxes("Sectors of forced labour", LabourSector)
    recruitment_platforms = _checkboxes("Online platforms used to recruit", OnlinePlatform)
    exploitation_platforms = _checkboxes("Online platforms used to exploit", OnlinePlatform)
    screening_acts = _checkboxes(
        "Act", TraffickingAct, help_text=_("What was done to the person (any one is enough).")
    )
    screening_means = _checkboxes(
        "Means",
        TraffickingMeans,
        help_text=_("How (any one is enough). Not needed for a child: under 18 when identified."),
    )
    screening_purposes = _checkboxes(
        "Purpose", Exploitation, help_text=_("For which exploitation, even if it had not begun.")
    )
    lawful_basis = forms.ChoiceField(
        label=_("Lawful basis without consent"),
        required=False,
        choices=_blank(RECORDABLE_LAWFUL_BASES, _("None: the victim consents to processing")),
        help_text=_(
            "Personal data is stored only with the victim's consent to processing of "
            "personal data, or on one of these bases."
        ),
    )
    lawful_basis_note = forms.CharField(
        label=_("Why this basis applies"),
        required=False,
        max_length=300,
        help_text=_("e.g. the investigation or the risk to the person. Needed with a basis."),
    )

    def __init__(self, *args, countries: Sequence[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        # Pakistan first: most victims the link offices record are Pakistani nationals.
        ordered = sorted(countries, key=lambda c: (c[0] != "PAK", c[1]))
        self.fields["nationality"].choices = _blank(ordered, _("Not known"))
        self.fields["identified_on"].initial = timezone.localdate()

    def clean_languages(self) -> list[str]:
        text = self.cleaned_data.get("languages") or ""
        return [part.strip() for part in text.split(",") if part.strip()]

    def clean_date_of_birth(self):
        """Not after today (glo_act/validation.py, as the service checks it), when changed:
        a date stored before the rule is left as it is."""
        born = self.cleaned_data.get("date_of_birth")
        if "date_of_birth" in self.changed_data:
            try:
                check_not_future(born, field="date_of_birth", what=_("The date of birth"))
            except DomainError as exc:
                raise forms.ValidationError(exc.message)
        return born

    def clean_identified_on(self):
        day = self.cleaned_data.get("identified_on")
        if "identified_on" in self.changed_data:
            try:
                check_not_future(day, field="identified_on", what=_("The date of identification"))
            except DomainError as exc:
                raise forms.ValidationError(exc.message)
        return day

    def clean(self):
        data = super().clean()
        if data.get("lawful_basis") and not (data.get("lawful_basis_note") or "").strip():
            self.add_error("lawful_basis_note", _("Say why this basis applies."))
        return data

    def personal_data(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in PERSONAL_FIELDS}

    def basis(self) -> dict:
        """The lawful basis, when given or changed (an unchanged one is left as it is)."""
        names = ("lawful_basis", "lawful_basis_note")
        if not any(name in self.changed_data for name in names):
            return {}
        return {name: self.cleaned_data.get(name) or "" for name in names}

    def facts(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in FACT_FIELDS}

    @property
    def personal_fields(self):
        return [self[name] for name in PERSONAL_FIELDS]

    @property
    def fact_fields(self):
        return [self[name] for name in FACT_FIELDS]


class VictimEditForm(VictimForm):
    """Editing carries the version the user opened; the service refuses it if it is stale."""

    version = forms.IntegerField(widget=forms.HiddenInput)


class RegisterForm(VictimForm):
    """A new victim, on a case the user sees."""

    case = forms.CharField(
        label=_("Case"),
        max_length=24,
        help_text=_("The reference of the case the victim belongs to, e.g. GBR-TIP-2026-0007"),
    )
    field_order = ["case"]


# --- consent ------------------------------------------------------------------------------------


def sharing_choices(
    offices: Iterable[LinkOffice], partners: Iterable[PartnerOrganisation]
) -> list[tuple[str, str]]:
    """`office:<id>` / `partner:<id>` for each organisation a victim may agree to share with."""
    return [(f"partner:{p.pk}", p.name) for p in partners] + [
        (f"office:{o.pk}", o.name) for o in offices
    ]


def referral_choices(partners: Iterable[PartnerOrganisation]) -> list[tuple[str, str]]:
    """`<partner id>:<service>` for each service each active partner provides."""
    labels = dict(Service.choices)
    return [
        (f"{p.pk}:{service}", f"{p} — {labels.get(service, service)}")
        for p in partners
        for service in p.services
        if service in labels
    ]


class ConsentForm(PageForm):
    """What the victim agrees to, purpose by purpose; each organisation and service named."""

    data_processing = forms.BooleanField(
        label=_("Processing of personal data"),
        required=False,
        help_text=_(
            "The victim agrees that their personal data is recorded and used for the case."
        ),
    )
    statistics = forms.BooleanField(
        label=_("Use in statistics"),
        required=False,
        help_text=_("The victim may be counted, without name, in statistics."),
    )
    sharing = forms.MultipleChoiceField(
        label=_("Sharing with a named organisation"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Tick only the organisations the victim agreed to; personal data goes to no one else."
        ),
    )
    referral = forms.MultipleChoiceField(
        label=_("Referral to a named organisation for a named service"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Each line is one organisation and one service."),
    )
    note = forms.CharField(
        label=_("How consent was given"),
        required=False,
        max_length=200,
        help_text=_("e.g. in writing, orally through an interpreter"),
    )

    def __init__(
        self,
        *args,
        offices: Iterable[LinkOffice],
        partners: Iterable[PartnerOrganisation],
        taken: frozenset[str] = frozenset(),
        **kwargs,
    ):
        """`taken`: keys of consents already live (`data_processing`, `partner:3`, `3:shelter`…),
        left out so nobody records the same consent twice.
        """
        super().__init__(*args, **kwargs)
        partners = list(partners)
        self.offices = {o.pk: o for o in offices}
        self.partners = {p.pk: p for p in partners}
        for name in ("data_processing", "statistics"):
            if name in taken:
                del self.fields[name]
        self.fields["sharing"].choices = [
            c for c in sharing_choices(self.offices.values(), partners) if c[0] not in taken
        ]
        self.fields["referral"].choices = [
            c for c in referral_choices(p for p in partners if p.is_active) if c[0] not in taken
        ]

    def specs(self) -> list[dict]:
        """The consents to record, as `consent_record` arguments."""
        data, note = self.cleaned_data, self.cleaned_data.get("note", "")
        specs = []
        for purpose in (ConsentPurpose.DATA_PROCESSING, ConsentPurpose.STATISTICS):
            if data.get(purpose.value):
                specs.append({"purpose": purpose, "note": note})
        for key in data.get("sharing") or ():
            kind, pk = key.split(":")
            target = (self.offices if kind == "office" else self.partners)[int(pk)]
            specs.append({"purpose": ConsentPurpose.SHARING, kind: target, "note": note})
        for key in data.get("referral") or ():
            pk, service = key.split(":")
            specs.append(
                {
                    "purpose": ConsentPurpose.REFERRAL,
                    "partner": self.partners[int(pk)],
                    "service": service,
                    "note": note,
                }
            )
        return specs


class RecordConsentForm(ConsentForm):
    """Consent recorded after registration: at least one purpose must be ticked."""

    def clean(self):
        data = super().clean()
        if not self.errors and not self.specs():
            raise forms.ValidationError(_("Tick at least one thing the victim agreed to."))
        return data


# --- referrals ----------------------------------------------------------------------------------


class ReferralForm(PageForm):
    """Refer a victim: one organisation and service, among those consented to (or, for holders
    of the override permission, any, with a written reason).
    """

    target = forms.ChoiceField(label=_("Organisation and service"), widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Note for the organisation"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "What is needed and by when. No personal data: the organisation sees what "
            "the service needs once it accepts."
        ),
    )
    override_reason = forms.CharField(
        label=_("Reason for referring without the victim's consent"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Only when the organisation and service chosen are not consented to. "
            "The reason is recorded on the referral."
        ),
    )

    def __init__(
        self,
        *args,
        consented: list[tuple[str, str]],
        others: list[tuple[str, str]] | None,
        partners: dict[int, PartnerOrganisation],
        **kwargs,
    ):
        """`others`: pairs without consent, offered only to holders of the override permission
        (None: the user holds no such permission, and the reason field is dropped).
        """
        super().__init__(*args, **kwargs)
        self.consented = {key for key, _label in consented}
        self.partners = partners
        choices = list(consented)
        if others is None:
            del self.fields["override_reason"]
        else:
            choices += [(key, f"{label} (no consent: override)") for key, label in others]
        self.fields["target"].choices = choices

    def clean(self):
        data = super().clean()
        target = data.get("target")
        if (
            target
            and target not in self.consented
            and "override_reason" in self.fields
            and not (data.get("override_reason") or "").strip()
        ):
            self.add_error(
                "override_reason",
                _(
                    "The victim has not consented to this referral: "
                    "give the reason for the override."
                ),
            )
        return data

    @property
    def partner(self) -> PartnerOrganisation:
        return self.partners[int(self.cleaned_data["target"].split(":")[0])]

    @property
    def service(self) -> str:
        return self.cleaned_data["target"].split(":")[1]


class OpenedVersion(forms.Form):
    """The version of the record the page was drawn on; the service refuses the change if the
    record has moved on since (`victims.services.check_referral_version` and its kin)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


class DeclineForm(OpenedVersion, PageForm):
    reason = forms.CharField(
        label=_("Why is the referral declined?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The referring office reads this to find another provider."),
    )


class ResumeForm(OpenedVersion, PageForm):
    """Resume a referral paused by a withdrawn consent: on a new consent, or an override."""

    override_reason = forms.CharField(
        label=_("Reason for resuming without the victim's consent"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Leave blank when the victim has consented again. Otherwise only holders of "
            "the consent-override permission may resume, with a written reason."
        ),
    )


class ProgressForm(OpenedVersion, PageForm):
    note = forms.CharField(
        label=_("What has been done"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class NoteForm(OpenedVersion, PageForm):
    """An optional note with a status change (accept, complete, close)."""

    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RevokeForm(OpenedVersion, PageForm):
    reason = forms.CharField(
        label=_("Why is the referral revoked?"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm = forms.BooleanField(
        label=_("Yes, revoke it: the organisation must stop working on it"),
        error_messages={"required": _("Tick the box to confirm.")},
    )


class ReferralFilterForm(PageForm):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Any")),
            ("open", _("Open (pending, accepted, in progress)")),
            *ReferralStatus.choices,
        ],
    )
    box = forms.ChoiceField(
        label=_("Direction"),
        required=False,
        choices=[
            ("", _("All")),
            ("in", _("Sent to my organisation")),
            ("out", _("Sent by my offices")),
        ],
    )


class VictimFilterForm(PageForm):
    q = forms.CharField(
        label=_("Code"),
        required=False,
        max_length=24,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "e.g. V-GBR-2026"}),
    )
    identification_status = forms.ChoiceField(
        label=_("Identification status"),
        required=False,
        choices=_blank(IdentificationStatus.choices, "Any"),
    )
    child = forms.ChoiceField(
        label=_("Age"),
        required=False,
        choices=[("", _("Any")), ("child", _("Children (under 18)")), ("adult", _("Adults"))],
    )


# --- reintegration follow-up --------------------------------------------------------------------


class FollowUpScheduleForm(PageForm):
    """Up to three follow-up dates (e.g. at 3, 6 and 12 months)."""

    first = forms.DateField(label=_("First follow-up"), widget=DateInput())
    second = forms.DateField(
        label=_("Second follow-up (optional)"), required=False, widget=DateInput()
    )
    third = forms.DateField(
        label=_("Third follow-up (optional)"), required=False, widget=DateInput()
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        for name, months in (("first", 3), ("second", 6), ("third", 12)):
            self.fields[name].initial = today + dt.timedelta(days=round(months * 30.44))

    def clean(self):
        """Each date today or later, and each after the one above it (glo_act/validation.py,
        as the service checks them for the API), the error next to its field."""
        data = super().clean()
        names = ("first", "second", "third")
        for index, name in enumerate(names):
            try:
                check_not_past(data.get(name), field=name, what=_("A follow-up"))
                check_in_order(
                    [data.get(n) for n in names[: index + 1]], field=name, what=_("The follow-ups")
                )
            except DomainError as exc:
                self.add_error(name, exc.message)
        return data

    def dates(self) -> list[dt.date]:
        return [d for d in (self.cleaned_data.get(n) for n in ("first", "second", "third")) if d]


class FollowUpRecordForm(OpenedVersion, PageForm):
    """The three reintegration scores (1–5) and notes."""

    economic_score = forms.ChoiceField(
        label=_("Economic"),
        choices=SCORE_CHOICES,
        widget=forms.RadioSelect,
        help_text=_("Income, work, debts"),
    )
    social_score = forms.ChoiceField(
        label=_("Social"),
        choices=SCORE_CHOICES,
        widget=forms.RadioSelect,
        help_text=_("Family, community, access to services"),
    )
    psychosocial_score = forms.ChoiceField(
        label=_("Psychosocial"),
        choices=SCORE_CHOICES,
        widget=forms.RadioSelect,
        help_text=_("Well-being, safety, confidence"),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ConsentWithdrawForm(OpenedVersion, ConfirmForm):
    """Withdraw a consent: the confirmation, and the version of the consent shown."""


class RevealForm(PageForm):
    """Why personal data is revealed (kept on the access record), and the second-factor code
    when the session's last check is no longer fresh."""

    purpose = forms.ChoiceField(
        label=_("Why do you need it?"),
        choices=[("", _("Choose a reason")), *RevealPurpose.choices],
        error_messages={"required": _("Choose why you need this victim's personal data.")},
    )
    reason = forms.CharField(
        label=_("In a few words"),
        max_length=200,
        help_text=_("Kept with the record of this look, which HQ reviews."),
        error_messages={
            "required": _("Say in a few words what for: it is kept with the record of this look.")
        },
    )
    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )

    def __init__(self, *args, needs_code: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.needs_code = needs_code
        if needs_code:
            minutes = settings.REVEAL_STEP_UP_MINUTES
            self.fields["code"].help_text = _(
                "Your last code was more than %(minutes)s minutes ago: enter the newest one."
            ) % {"minutes": minutes}
            self.fields["code"].error_messages["required"] = _(
                "Enter a current code: personal data needs one from the last %(minutes)s minutes."
            ) % {"minutes": minutes}
        else:
            del self.fields["code"]
