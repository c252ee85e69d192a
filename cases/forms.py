"""Forms of the case pages. They check the shape of the input; the rules are the services'.

A form never saves: its view hands `cleaned_data` to one service call, and a `DomainError` the
service raises is shown on the form (`glo_act.pages.add_domain_error`).
"""

from __future__ import annotations

import json

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases.constants import (
    CASE_TRANSITIONS,
    URGENCY_DUE,
    AgeBand,
    AssignedFilter,
    CaseKind,
    CaseOutcome,
    CaseStatus,
    Exploitation,
    HandlingCode,
    InformationAccuracy,
    JusticeStage,
    LabourSector,
    MeansOfControl,
    RecruiterRelationship,
    RequestKind,
    RouteStage,
    Sex,
    ShareLevel,
    SourceReliability,
    SuspectRole,
    TransportMode,
    Urgency,
    Verdict,
)
from cases.models import LegalProvision
from glo_act.errors import DomainError
from glo_act.pages import PageForm
from glo_act.validation import check_not_past
from liaison_offices.models import Country, LinkOffice

SORTS = {
    "updated": _("Last updated"),
    "reference": _("Reference"),
    "status": _("Status"),
}


def _blank(choices, label: str = "—"):
    return [("", label), *choices]


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def format_value(self, value):
        if hasattr(value, "strftime"):
            return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M") if value.tzinfo else None
        return value


# --- lists --------------------------------------------------------------------------------------


class CaseFilterForm(PageForm):
    """The case list's search, filters and sort (all optional, all in the query string)."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("Reference, title, suspect or place"),
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "e.g. GBR-TIP or Milan"}),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=_blank(CaseKind.choices, "Any")
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any")), ("open", _("Open (not closed)")), *CaseStatus.choices],
    )
    exploitation = forms.ChoiceField(
        label=_("Exploitation"),
        required=False,
        choices=_blank(Exploitation.choices, "Any"),
    )
    office = forms.ChoiceField(label=_("Lead office"), required=False)
    shared = forms.BooleanField(label=_("Shared with me"), required=False)
    handling = forms.ChoiceField(
        label=_("Handling code"),
        help_text=_("Of a share to you"),
        required=False,
        choices=_blank([(code.value, code.value) for code in HandlingCode], "Any"),
    )
    assigned = forms.ChoiceField(
        label=_("Assigned"),
        required=False,
        choices=[("", _("Anyone or nobody")), *AssignedFilter.choices],
    )
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=list(SORTS.items()))

    def __init__(self, *args, offices: list[tuple[int, str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        # (id, code, name) rows read once by the view: the select and the filter share them.
        self.office_ids = {code: pk for pk, code, _ in offices}
        self.fields["office"].choices = _blank([(code, code) for _, code, _ in offices], _("Any"))

    @property
    def is_filtered(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return any(data.get(name) for name in self.fields if name != "sort")


class RequestFilterForm(PageForm):
    """The cooperation request list's filters."""

    box = forms.ChoiceField(
        label=_("Direction"),
        required=False,
        choices=[("", _("To and from my desks")), ("in", _("To me")), ("out", _("From me"))],
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Any")),
            ("open", _("Open")),
            ("due", _("Open, due within 3 days")),
            ("overdue", _("Overdue")),
            ("answered", _("Answered")),
            ("closed", _("Closed")),
        ],
    )
    q = forms.CharField(
        label=_("Case reference"), required=False, max_length=24, widget=forms.TextInput()
    )


# --- the case record ----------------------------------------------------------------------------


class CaseFieldsForm(PageForm):
    """The descriptive fields a case has from the start and keeps editable."""

    title = forms.CharField(max_length=200)
    summary = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 5}))
    forms_of_exploitation = forms.MultipleChoiceField(
        label=_("Forms of exploitation"),
        required=False,
        choices=Exploitation.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    labour_sector = forms.ChoiceField(
        label=_("Labour sector (forced labour)"),
        required=False,
        choices=_blank(LabourSector.choices),
    )
    means_of_control = forms.MultipleChoiceField(
        label=_("Means of control"),
        required=False,
        choices=MeansOfControl.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    recruiter_relationship = forms.ChoiceField(
        label=_("Recruiter's relationship to the victim"),
        required=False,
        choices=_blank(RecruiterRelationship.choices),
    )
    legal_provisions = forms.ModelMultipleChoiceField(
        label=_("Legal basis"),
        required=False,
        queryset=LegalProvision.objects.ordered(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Pakistan's provisions first, then the host countries'. HQ adds missing ones."),
    )
    host_country_law = forms.CharField(
        label=_("Host-country law, notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Anything the list above does not hold yet (a provision HQ has not loaded, "
            "a paragraph), as text."
        ),
    )


class CaseCreateForm(CaseFieldsForm):
    kind = forms.ChoiceField(label=_("Kind of case"), choices=CaseKind.choices)
    lead_office = forms.ModelChoiceField(
        label=_("Lead office"), queryset=LinkOffice.objects.none(), empty_label=None
    )
    field_order = ["kind", "lead_office", "title", "summary"]

    def __init__(self, *args, offices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_office"].queryset = offices


class CaseEditForm(CaseFieldsForm):
    """Editing carries the version the user saw; the service refuses it if it is stale."""

    version = forms.IntegerField(widget=forms.HiddenInput)


class StatusForm(PageForm):
    """Change status: only the transitions allowed from the current status are offered."""

    status = forms.ChoiceField(label=_("New status"), widget=forms.RadioSelect)
    outcome = forms.ChoiceField(
        label=_("Outcome (when closing)"), required=False, choices=_blank(CaseOutcome.choices)
    )
    reason = forms.CharField(
        label=_("Reason (when reopening)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, current: str, **kwargs):
        super().__init__(*args, **kwargs)
        order = CaseStatus.values
        allowed = sorted(CASE_TRANSITIONS[CaseStatus(current)], key=order.index)
        self.fields["status"].choices = [(s, CaseStatus(s).label) for s in allowed]
        self.closing_offered = CaseStatus.CLOSED in allowed
        self.reopening = current == CaseStatus.CLOSED
        if not self.closing_offered:
            del self.fields["outcome"]
        if not self.reopening:
            del self.fields["reason"]
        label = CaseStatus(current).label.lower()
        self.fields["status"].error_messages["invalid_choice"] = _(
            "A case that is %(label)s cannot move to “%%(value)s”; "
            "choose one of the statuses shown."
        ) % {"label": label}


class RouteLegForm(PageForm):
    stage = forms.ChoiceField(choices=RouteStage.choices)
    country = forms.ModelChoiceField(queryset=Country.objects.all(), empty_label=_("Choose…"))
    place = forms.CharField(
        required=False, max_length=120, help_text=_("City, border crossing, port")
    )
    mode = forms.ChoiceField(
        label=_("Travelled by"), required=False, choices=_blank(TransportMode.choices)
    )
    date = forms.DateField(required=False, widget=DateInput)


class SuspectForm(PageForm):
    name = forms.CharField(label=_("Name or alias"), required=False, max_length=120)
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=SuspectRole.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Every role they played (HTCDS); the first ticked is shown as the main one."),
        error_messages={"required": _("Tick at least one role.")},
    )
    nationality = forms.ModelChoiceField(
        queryset=Country.objects.all(), required=False, empty_label=_("Unknown")
    )
    sex = forms.ChoiceField(choices=Sex.choices, initial=Sex.UNKNOWN)
    age_band = forms.ChoiceField(
        label=_("Age band"), choices=AgeBand.choices, initial=AgeBand.UNKNOWN
    )


class JusticeEventForm(PageForm):
    """One step of one suspect (`cases.services.justice.justice_event_add`)."""

    stage = forms.ChoiceField(label=_("What happened"), choices=JusticeStage.choices)
    date = forms.DateField(widget=DateInput)
    provision = forms.ModelChoiceField(
        label=_("Under which provision"),
        queryset=LegalProvision.objects.ordered(),
        required=False,
        empty_label=_("—"),
        help_text=_("A charge and a verdict name one."),
    )
    verdict = forms.ChoiceField(
        required=False,
        choices=_blank(Verdict.choices),
        help_text=_("For a verdict. A hand-over to another jurisdiction is a step of its own."),
    )
    country = forms.ModelChoiceField(
        label=_("Country (jurisdiction)"),
        queryset=Country.objects.all(),
        required=False,
        empty_label=_("The provision's country"),
    )
    authority = forms.CharField(
        label=_("Authority"),
        required=False,
        max_length=200,
        help_text=_("Police station, prosecutor, court; for a hand-over, where the suspect went."),
    )
    reference = forms.CharField(
        label=_("Reference"), required=False, max_length=80, help_text=_("FIR, charge or court no.")
    )
    custody_months = forms.IntegerField(
        label=_("Custody (months)"), required=False, min_value=0, help_text=_("For a sentence.")
    )
    fine = forms.CharField(
        required=False, max_length=60, help_text=_("For a sentence: amount and currency.")
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class WithdrawForm(PageForm):
    reason = forms.CharField(
        label=_("Why is this line withdrawn?"), max_length=300, help_text=_("Kept with the line.")
    )


# --- sharing, messages, requests ----------------------------------------------------------------


def recipient_choices(offices, partners) -> list:
    """One select for an office or a partner: values `office:<id>` / `partner:<id>`."""
    return [
        ("", _("Choose…")),
        (_("Link offices"), [(f"office:{o.pk}", str(o)) for o in offices]),
        (_("Partner organisations"), [(f"partner:{p.pk}", p.name) for p in partners]),
    ]


class RecipientField(forms.ChoiceField):
    """Cleans `office:<id>` / `partner:<id>` into the chosen LinkOffice or PartnerOrganisation."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.objects: dict[str, object] = {}

    def set_recipients(self, offices, partners) -> None:
        offices, partners = list(offices), list(partners)
        self.choices = recipient_choices(offices, partners)
        self.objects = {f"office:{o.pk}": o for o in offices}
        self.objects.update({f"partner:{p.pk}": p for p in partners})

    def clean(self, value):
        value = super().clean(value)
        return self.objects.get(value) if value else None


class ShareForm(PageForm):
    recipient = RecipientField(label=_("Share with"))
    level = forms.TypedChoiceField(
        label=_("What they see"),
        coerce=int,
        choices=ShareLevel.choices,
        widget=forms.RadioSelect,
        initial=ShareLevel.SUMMARY,
        help_text=_(
            "Summary: reference, kind, status, title, summary, lead office, forms of "
            "exploitation. Full: also route, suspects, legal basis, timeline and messages. Full "
            "with victims: also the victims' codes (personal data only where the victim consented)."
        ),
    )
    handling_code = forms.ChoiceField(
        label=_("Handling code"), choices=HandlingCode.choices, widget=forms.RadioSelect
    )
    handling_conditions = forms.CharField(
        label=_("Conditions (required for H3)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    expires_at = forms.DateTimeField(
        label=_("Expires (optional)"), required=False, widget=DateTimeInput
    )

    def __init__(self, *args, offices, partners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipient"].set_recipients(offices, partners)

    def clean(self):
        data = super().clean()
        if (
            data.get("handling_code") == HandlingCode.H3
            and not (data.get("handling_conditions") or "").strip()
        ):
            self.add_error("handling_conditions", _("H3 needs the conditions stated."))
        expires = data.get("expires_at")
        if expires and expires <= timezone.now():
            self.add_error("expires_at", _("The expiry must be in the future."))
        return data


class ConfirmForm(PageForm):
    """A confirmation step before something that cannot be undone."""

    confirm = forms.BooleanField(
        label=_("Yes, I am sure"),
        error_messages={"required": _("Tick the box to confirm.")},
    )


class MessageForm(PageForm):
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 3}))
    reliability = forms.ChoiceField(
        label=_("Source reliability"),
        choices=SourceReliability.choices,
        initial=SourceReliability.X,
    )
    accuracy = forms.TypedChoiceField(
        label=_("Information accuracy"),
        coerce=int,
        choices=InformationAccuracy.choices,
        initial=InformationAccuracy.NOT_CORROBORATED,
    )


class RequestForm(PageForm):
    recipient = RecipientField(label=_("Ask"))
    kind = forms.ChoiceField(label=_("Kind of help"), choices=RequestKind.choices)
    urgency = forms.ChoiceField(
        choices=Urgency.choices, initial=Urgency.NORMAL, widget=forms.RadioSelect
    )
    question = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    due_at = forms.DateTimeField(
        label=_("Due by"),
        required=False,
        help_text=_(
            "In your time zone. Left blank, it follows the urgency: 8 hours, 7 days or 14 days "
            "from now."
        ),
        widget=DateTimeInput(
            attrs={
                "data-due-from-urgency": json.dumps(
                    {key: int(due.total_seconds()) for key, due in URGENCY_DUE.items()}
                )
            }
        ),
    )

    def __init__(self, *args, offices, partners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipient"].set_recipients(offices, partners)
        self.fields["due_at"].widget.attrs["min"] = timezone.now().strftime("%Y-%m-%dT%H:%M")

    def clean_due_at(self):
        due = self.cleaned_data.get("due_at")
        if due is not None and due <= timezone.now():
            raise forms.ValidationError(_("The due time must be in the future."))
        return due


class AnswerForm(PageForm):
    answer = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}))
    reliability = forms.ChoiceField(
        label=_("Source reliability"),
        choices=SourceReliability.choices,
        initial=SourceReliability.X,
        help_text=_("Of the source of the answer (Europol's 4x4 evaluation)."),
        required=False,
    )
    accuracy = forms.TypedChoiceField(
        label=_("Information accuracy"),
        coerce=int,
        choices=InformationAccuracy.choices,
        initial=InformationAccuracy.NOT_CORROBORATED,
        required=False,
        empty_value=None,
    )
    late_reason = forms.CharField(
        label=_("Why is the answer late?"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, overdue: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.overdue = overdue
        if not overdue:
            del self.fields["late_reason"]

    def clean(self):
        data = super().clean()
        # Not given (a client that sends the answer only): ungraded reads as X4, as in the API.
        data["reliability"] = data.get("reliability") or SourceReliability.X
        if data.get("accuracy") is None:
            data["accuracy"] = InformationAccuracy.NOT_CORROBORATED
        if self.overdue and not (data.get("late_reason") or "").strip():
            self.add_error("late_reason", _("The answer is past its due date: say why."))
        return data


# --- who works the case (cases.services.casework) -----------------------------------------------


class OfficerField(forms.ModelChoiceField):
    """An officer, shown by name and username."""

    def label_from_instance(self, obj):
        name = obj.get_full_name()
        return f"{name} ({obj.get_username()})" if name else obj.get_username()


class AssignForm(PageForm):
    officer = OfficerField(
        label=_("Assigned officer"),
        queryset=None,
        required=False,
        empty_label=_("Nobody (unassigned)"),
        help_text=_("An officer of the lead office. They are told."),
    )

    def __init__(self, *args, officers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = officers


class ReassignForm(PageForm):
    """Bulk reassignment: whose cases, to whom, all open ones or those ticked."""

    office = forms.ModelChoiceField(label=_("Office"), queryset=None, empty_label=None)
    from_officer = OfficerField(
        label=_("From officer"),
        queryset=None,
        empty_label=_("Nobody (unassigned cases)"),
        required=False,
    )
    to_officer = OfficerField(label=_("To officer"), queryset=None)
    which = forms.ChoiceField(
        label=_("Which cases"),
        choices=[
            ("all", _("All of this officer's open cases")),
            ("chosen", _("Only those ticked")),
        ],
        initial="all",
        widget=forms.RadioSelect,
    )
    cases = forms.MultipleChoiceField(
        label=_("Cases"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, offices, officers, cases=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].queryset = offices
        self.fields["from_officer"].queryset = officers
        self.fields["to_officer"].queryset = officers
        self.fields["cases"].choices = [(str(c.pk), f"{c.reference} — {c.title}") for c in cases]

    def clean(self):
        data = super().clean()
        if data.get("which") == "chosen" and not data.get("cases"):
            self.add_error("cases", _("Tick the cases to reassign, or choose all open cases."))
        return data


KEEP_LEVELS = [
    ("", _("No share: we stop seeing the case")),
    (str(ShareLevel.SUMMARY.value), _("Summary")),
    (str(ShareLevel.FULL.value), _("Full")),
    (str(ShareLevel.FULL_WITH_VICTIMS.value), _("Full with victims")),
]


class HandOverForm(PageForm):
    to_office = forms.ModelChoiceField(label=_("Hand the case to"), queryset=None)
    note = forms.CharField(
        label=_("Why it belongs with them"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    keep_level = forms.TypedChoiceField(
        label=_("What your office keeps once accepted"),
        choices=KEEP_LEVELS,
        coerce=int,
        empty_value=None,
        required=False,
        initial=str(ShareLevel.SUMMARY.value),
    )
    keep_handling_code = forms.ChoiceField(
        label=_("Handling code of the share you keep"),
        choices=[(c.value, c.label) for c in HandlingCode if c != HandlingCode.H3],
        initial=HandlingCode.H0,
    )

    def __init__(self, *args, offices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_office"].queryset = offices


class DeclineForm(PageForm):
    reason = forms.CharField(
        label=_("Why you decline"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class FlagForm(PageForm):
    reason = forms.CharField(
        label=_("Flag"),
        max_length=200,
        help_text=_("What to keep in mind, e.g. “Court hearing” or “Victim's visa expires”."),
    )
    due_on = forms.DateField(
        label=_("Date"), required=False, widget=DateInput, help_text=_("Reminded two days before.")
    )

    def clean_due_on(self):
        due = self.cleaned_data.get("due_on")
        try:  # the service's own check (glo_act/validation.py), next to the field
            return check_not_past(due, field="due_on", what=gettext("The flag's date"))
        except DomainError as exc:
            raise forms.ValidationError(exc.message)
