"""API representations of cases, messages and cooperation requests, redacted by access level.

A case is always returned with the caller's `access`: the level they see it at and, for a
share, its handling code and conditions. The representation holds only the fields that level
allows; fields above it are absent (not null), so a partner's system can tell "not shared with
you" from "empty".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.access import ACCESS_NAMES, access_from_grant, case_access
from cases.constants import (
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
    RequestStatus,
    ShareLevel,
    SourceReliability,
    SuspectRole,
    Urgency,
    Verdict,
)
from cases.models import (
    Case,
    CooperationRequest,
    Message,
    RouteLeg,
    Suspect,
    TimelineEvent,
)
from glo_act.api import StrictCharField

# --- access levels ------------------------------------------------------------------------------

ACCESS_DESCRIPTION = (
    "How you see this case. `summary`, `full`, `full_with_victims`: through a share to your "
    "organisation or office, at that level; `lead_office`: your office leads the case; `hq`: "
    "FIA headquarters. Lead office and HQ see every field."
)

SUMMARY_FIELDS = [
    "reference",
    "kind",
    "status",
    "title",
    "summary",
    "lead_office",
    "forms_of_exploitation",
    "updated_at",
    "assigned_to",
    "access",
]
FULL_FIELDS = [
    "outcome",
    "labour_sector",
    "means_of_control",
    "recruiter_relationship",
    "route_legs",
    "suspects",
    "legal_provisions",
    "host_country_law",
    "timeline",
    "version",
    "created_at",
    "closed_at",
]
VICTIM_FIELDS = ["victims"]


class CaseAccessSerializer(serializers.Serializer):
    """The caller's access to a case and the conditions they must honour."""

    level = serializers.ChoiceField(
        choices=list(ACCESS_NAMES.values()), help_text=ACCESS_DESCRIPTION
    )
    handling_code = serializers.ChoiceField(
        choices=HandlingCode.choices,
        allow_null=True,
        help_text="The handling code that binds you: where several shares give you this level, "
        "the most restrictive of them (null for the lead office and HQ). H0: crime "
        "prevention and investigation only; H1: not for use in "
        "judicial proceedings without the originator's consent; H2: no onward dissemination "
        "without the originator's consent; H3: the restrictions in `handling_conditions`.",
    )
    handling_conditions = StrictCharField(
        allow_blank=True, help_text="Conditions stated by the originator (always for H3)."
    )
    share_expires_at = serializers.DateTimeField(
        allow_null=True, help_text="When your share ends, if it has an expiry."
    )
    can_edit = serializers.BooleanField(
        help_text="True when you may change the case (PATCH): members of the lead office."
    )


# --- nested parts of a full case ----------------------------------------------------------------


class RouteLegSerializer(serializers.ModelSerializer):
    country = StrictCharField(source="country_id", help_text="ISO 3166 alpha-3")

    class Meta:
        model = RouteLeg
        fields = ["position", "stage", "country", "place", "mode", "date"]


class JusticeEventSerializer(serializers.Serializer):
    """One step of a suspect through the justice system (docs/investigation.md)."""

    id = serializers.IntegerField(read_only=True)
    stage = serializers.ChoiceField(choices=JusticeStage.choices)
    date = serializers.DateField()
    country = StrictCharField(
        source="country_id",
        required=False,
        help_text="The jurisdiction (ISO 3166 alpha-3); by default the provision's country.",
    )
    provision = serializers.IntegerField(
        source="provision_id",
        allow_null=True,
        required=False,
        help_text="A charge and a verdict name one (`GET /api/v1/legal-provisions/`).",
    )
    citation = StrictCharField(read_only=True, help_text="The provision as cited.")
    authority = StrictCharField(
        allow_blank=True, required=False, max_length=200, help_text="Police, prosecutor, court."
    )
    reference = StrictCharField(allow_blank=True, required=False, max_length=80)
    verdict = serializers.ChoiceField(
        choices=Verdict.choices,
        allow_blank=True,
        required=False,
        help_text="A verdict's only: convicted, acquitted, or dismissed (withdrawn). A hand-over "
        "to another jurisdiction is the stage `handed_over`, never a verdict.",
    )
    custody_months = serializers.IntegerField(allow_null=True, required=False, min_value=0)
    fine = StrictCharField(allow_blank=True, required=False, max_length=60)
    note = StrictCharField(allow_blank=True, required=False, max_length=5000)
    withdrawn_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Entered by mistake and withdrawn."
    )
    withdrawn_reason = StrictCharField(read_only=True, allow_blank=True)


class JusticeWithdrawSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=300, help_text="Why the line is withdrawn.")


class SuspectSerializer(serializers.ModelSerializer):
    nationality = StrictCharField(
        source="nationality_id", allow_null=True, help_text="ISO 3166 alpha-3"
    )
    justice = JusticeEventSerializer(
        many=True, read_only=True, help_text="Arrest, charges, court, verdicts, sentence."
    )
    role = serializers.ChoiceField(choices=SuspectRole.choices, help_text="The main role.")
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=SuspectRole.choices),
        help_text="Every role (HTCDS: a perpetrator may have several), the main first.",
    )

    class Meta:
        model = Suspect
        fields = ["id", "name", "role", "roles", "nationality", "sex", "age_band", "justice"]


class LegalProvisionSerializer(serializers.Serializer):
    """A provision of the case's legal basis: Pakistan's or a host country's
    (docs/investigation.md#the-law-as-written)."""

    id = serializers.IntegerField(help_text="Give these ids in `legal_provision_ids` to set them.")
    act = StrictCharField(help_text="The statute's code, e.g. `PTPA_2018`, `GBR_MSA_2015`.")
    country = StrictCharField(source="country_id", help_text="The statute's country (ISO 3).")
    section = StrictCharField(allow_blank=True, help_text="Blank: the act as a whole.")
    title = StrictCharField()
    citation = StrictCharField(help_text="As cited: `PTPA 2018 s.3`, `Codice penale art. 601`.")


class ProvisionReferenceSerializer(serializers.Serializer):
    """A provision that cases may cite (`GET /api/v1/legal-provisions/`)."""

    id = serializers.IntegerField()
    act = StrictCharField(source="act_id", help_text="The statute's code.")
    act_title = StrictCharField(source="act.title", help_text="The statute's official title.")
    country = StrictCharField(source="act.country_id", help_text="ISO 3.")
    section = StrictCharField(allow_blank=True, help_text="Blank: the act as a whole.")
    title = StrictCharField()
    citation = StrictCharField()


class TimelineEventSerializer(serializers.ModelSerializer):
    actor = StrictCharField(
        allow_null=True, help_text="Who made the entry: their full name, else their username."
    )

    class Meta:
        model = TimelineEvent
        fields = ["kind", "summary", "actor", "created_at"]


# --- sections contributed by the apps above cases ----------------------------------------------


@dataclass(frozen=True)
class CaseSection:
    """A part of the case detail that an app above `cases` contributes.

    Arrows run one way (docs/architecture.md): `cases` never imports `victims`, so the victims API
    registers its section here. `field()` builds the serializer field (it documents the
    section in the schema, too); `load(case, user)` returns its data for a caller who sees the
    case at `min_level` or above. Below that level the section is left out of the response.
    """

    name: str
    min_level: int
    field: Callable[[], serializers.Field]
    load: Callable[[Case, object], object]


CASE_SECTIONS: dict[str, CaseSection] = {}


def register_case_section(section: CaseSection) -> None:
    CASE_SECTIONS[section.name] = section


def load_case_sections(case: Case, user) -> None:
    """Put the data of every section the caller may see on `case`, for the serializer."""
    level = case_access(user, case).level
    for section in CASE_SECTIONS.values():
        if level >= section.min_level:
            setattr(case, f"section_{section.name}", section.load(case, user))


# --- cases --------------------------------------------------------------------------------------


class CaseSummarySerializer(serializers.ModelSerializer):
    """A case as it appears in lists: the summary fields every level may see."""

    lead_office = StrictCharField(
        source="lead_office.code", help_text="Code of the lead link office (ISO alpha-3)."
    )
    kind = serializers.ChoiceField(choices=CaseKind.choices)
    status = serializers.ChoiceField(choices=CaseStatus.choices)
    forms_of_exploitation = serializers.ListField(
        child=serializers.ChoiceField(choices=Exploitation.choices)
    )
    access = serializers.SerializerMethodField()
    assigned_to = serializers.SerializerMethodField(
        help_text="The username of the officer of the lead office who works the case, for the "
        "lead office and HQ; null when nobody is assigned, and always null through a share "
        "(who works a case is the lead office's business)."
    )

    class Meta:
        model = Case
        fields = SUMMARY_FIELDS
        read_only_fields = SUMMARY_FIELDS

    @extend_schema_field(CaseAccessSerializer)
    def get_access(self, case) -> dict:
        return case_access(self.context["request"].user, case).as_api()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_assigned_to(self, case) -> str | None:
        if not case.assigned_to_id or not case_access(self.context["request"].user, case).is_owner:
            return None
        return case.assigned_to.get_username()

    # What the list reads of each case (CaseViewSet.rows_for_page), as values() rows.
    ROW_COLUMNS = (
        "reference", "kind", "status", "title", "summary", "lead_office_id", "lead_office_code",
        "forms_of_exploitation", "updated_at", "access_grant", "assigned_to_username",
    )  # fmt: skip

    def to_representation(self, row: dict) -> dict:
        # The list's hot path, written out over values() rows (ROW_COLUMNS): the declared
        # fields above document the schema, but building them, and a model instance, for
        # every row cost ~2 ms of CPU per page of 25 (bench/ANALYSIS.md). Same output: tests/api
        # compare it with the fields' own.
        access = access_from_grant(
            self.context["request"].user, row["lead_office_id"], row["access_grant"]
        )
        return {
            "reference": row["reference"],
            "kind": row["kind"],
            "status": row["status"],
            "title": row["title"],
            "summary": row["summary"],
            "lead_office": row["lead_office_code"],
            "forms_of_exploitation": list(row["forms_of_exploitation"]),
            "updated_at": _iso_datetime(row["updated_at"]),
            "assigned_to": row["assigned_to_username"] if access.is_owner else None,
            "access": access.as_api(),
        }


def _iso_datetime(value) -> str:
    """An aware datetime as `serializers.DateTimeField()` writes it (ISO 8601 in the current
    time zone, "Z" for UTC), without the field's per-call look-ups (~10 µs a row)."""
    text = value.astimezone(timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class CaseDetailSerializer(CaseSummarySerializer):
    """A case with every field the caller's access level allows.

    `summary` shares get the summary fields; `full` adds taxonomy, route, suspects, legal
    provisions, host-country law and timeline; `full_with_victims` (and the lead office and HQ)
    add the victims.
    """

    outcome = serializers.ChoiceField(choices=CaseOutcome.choices, allow_blank=True, required=False)
    labour_sector = serializers.ChoiceField(
        choices=LabourSector.choices, allow_blank=True, required=False
    )
    means_of_control = serializers.ListField(
        child=serializers.ChoiceField(choices=MeansOfControl.choices), required=False
    )
    recruiter_relationship = serializers.ChoiceField(
        choices=RecruiterRelationship.choices, allow_blank=True, required=False
    )
    # The four parts below are read by `cases.full_parts.load_full_parts` (one query).
    route_legs = RouteLegSerializer(many=True, required=False, source="full_parts.route_legs")
    suspects = SuspectSerializer(many=True, required=False, source="full_parts.suspects")
    legal_provisions = LegalProvisionSerializer(
        many=True, required=False, source="full_parts.legal_provisions"
    )
    host_country_law = StrictCharField(allow_blank=True, required=False)
    timeline = TimelineEventSerializer(
        many=True,
        source="full_parts.timeline",
        help_text="Newest first. Share recipients see creation, edits, status changes and "
        "messages on the case; the lead office and HQ see every entry, shares that expired "
        "included.",
        required=False,
    )
    version = serializers.IntegerField(help_text="Increases with every change.", required=False)
    created_at = serializers.DateTimeField(required=False)
    closed_at = serializers.DateTimeField(allow_null=True, required=False)

    class Meta:
        model = Case
        fields = SUMMARY_FIELDS + FULL_FIELDS
        read_only_fields = SUMMARY_FIELDS

    def get_fields(self):
        fields = super().get_fields()
        for section in CASE_SECTIONS.values():
            fields[section.name] = section.field()
        return fields

    def to_representation(self, case):
        level = case_access(self.context["request"].user, case).level
        for section in CASE_SECTIONS.values():
            if level >= section.min_level and not hasattr(case, f"section_{section.name}"):
                raise RuntimeError(f"Call load_case_sections() before serializing {case}.")
        # Field by field (not the summary's written-out row): the detail's fields vary by level.
        data = serializers.ModelSerializer.to_representation(self, case)
        if level < ShareLevel.FULL:
            for name in FULL_FIELDS:
                data.pop(name, None)
        for section in CASE_SECTIONS.values():
            if level < section.min_level:
                data.pop(section.name, None)
        return data


class CaseUpdateSerializer(serializers.Serializer):
    """The fields the lead office may change through the API (all optional: PATCH)."""

    title = StrictCharField(max_length=200, required=False)
    summary = StrictCharField(allow_blank=True, required=False)
    forms_of_exploitation = serializers.ListField(
        child=serializers.ChoiceField(choices=Exploitation.choices), required=False
    )
    labour_sector = serializers.ChoiceField(
        choices=LabourSector.choices, allow_blank=True, required=False
    )
    means_of_control = serializers.ListField(
        child=serializers.ChoiceField(choices=MeansOfControl.choices), required=False
    )
    recruiter_relationship = serializers.ChoiceField(
        choices=RecruiterRelationship.choices, allow_blank=True, required=False
    )
    host_country_law = StrictCharField(allow_blank=True, required=False)
    legal_provision_ids = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        write_only=True,
        source="legal_provisions",
        help_text="The whole legal basis, Pakistani and host-country provisions, by id "
        "(`GET /api/v1/legal-provisions/` lists them). Replaces the case's list.",
    )

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("Send at least one field to change.")
        return attrs


# --- messages -----------------------------------------------------------------------------------


class OrganisationRefSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["office", "partner"])
    code = StrictCharField(help_text="Office code, or the partner's short name.")
    name = StrictCharField()


def organisation_ref(office, partner) -> dict | None:
    if office is not None:
        return {"kind": "office", "code": office.code, "name": office.name}
    if partner is not None:
        return {"kind": "partner", "code": partner.short_name or partner.name, "name": partner.name}
    return None


class MessageSerializer(serializers.ModelSerializer):
    """A message on a case, graded for source reliability and information accuracy."""

    case = StrictCharField(source="case.reference", read_only=True)
    request = serializers.IntegerField(
        source="request_id",
        read_only=True,
        allow_null=True,
        help_text="The cooperation request this message belongs to, if any.",
    )
    author = serializers.SerializerMethodField()
    author_organisation = serializers.SerializerMethodField()
    reliability = serializers.ChoiceField(choices=SourceReliability.choices)
    accuracy = serializers.ChoiceField(choices=InformationAccuracy.choices)
    grade = StrictCharField(help_text="Europol's 4x4 grade as written: `B2`.")
    grade_meaning = StrictCharField(help_text="The grade's official definitions, in words.")

    class Meta:
        model = Message
        fields = [
            "id",
            "case",
            "request",
            "author",
            "author_organisation",
            "body",
            "reliability",
            "accuracy",
            "grade",
            "grade_meaning",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(StrictCharField(allow_null=True))
    def get_author(self, message) -> str | None:
        if message.author is None:
            return None
        return message.author.get_full_name() or message.author.get_username()

    @extend_schema_field(OrganisationRefSerializer(allow_null=True))
    def get_author_organisation(self, message) -> dict | None:
        return organisation_ref(message.author_office, message.author_partner)


class MessageCreateSerializer(serializers.Serializer):
    body = StrictCharField(max_length=10000)
    reliability = serializers.ChoiceField(
        choices=SourceReliability.choices,
        default=SourceReliability.X,
        help_text="Source reliability (Europol 4x4): A no doubt of authenticity, trustworthiness "
        "and competence; B in most instances proved reliable; C in most instances proved "
        "unreliable; X cannot be assessed.",
    )
    accuracy = serializers.ChoiceField(
        choices=InformationAccuracy.choices,
        default=InformationAccuracy.NOT_CORROBORATED,
        help_text="Information accuracy (Europol 4x4): 1 no doubt; 2 known personally to the "
        "source, not to the official passing it on; 3 not known personally to the source, "
        "corroborated by information already recorded; 4 not known personally to the source, "
        "cannot be corroborated.",
    )
    request = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**53,
        help_text="Post in the thread of this cooperation request (on the same case).",
    )


# --- cooperation requests -----------------------------------------------------------------------


class CooperationRequestSerializer(serializers.ModelSerializer):
    """A request for help on a case from one office to another office or a partner."""

    case = StrictCharField(source="case.reference")
    from_office = StrictCharField(source="from_office.code")
    to = serializers.SerializerMethodField()
    kind = serializers.ChoiceField(choices=RequestKind.choices)
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    status = serializers.ChoiceField(choices=RequestStatus.choices)
    is_overdue = serializers.SerializerMethodField()
    answer_reliability = serializers.ChoiceField(
        choices=SourceReliability.choices, allow_blank=True, help_text="Blank: not graded."
    )
    answer_accuracy = serializers.ChoiceField(
        choices=InformationAccuracy.choices, allow_null=True, help_text="Null: not graded."
    )
    answer_grade = StrictCharField(
        allow_blank=True, help_text="`B2`; blank when unanswered or answered ungraded."
    )
    answer_grade_meaning = StrictCharField(help_text="The grade's definitions, in words.")

    class Meta:
        model = CooperationRequest
        fields = [
            "id",
            "case",
            "from_office",
            "to",
            "kind",
            "urgency",
            "question",
            "due_at",
            "status",
            "is_overdue",
            "answer",
            "answer_reliability",
            "answer_accuracy",
            "answer_grade",
            "answer_grade_meaning",
            "late_reason",
            "answered_at",
            "created_at",
            "closed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OrganisationRefSerializer)
    def get_to(self, request) -> dict | None:
        return organisation_ref(request.to_office, request.to_partner)

    @extend_schema_field(serializers.BooleanField(help_text="Open and past its due time."))
    def get_is_overdue(self, request) -> bool:
        return request.status == RequestStatus.OPEN and request.due_at < timezone.now()


class RequestAnswerSerializer(serializers.Serializer):
    answer = StrictCharField(max_length=20000)
    late_reason = StrictCharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        help_text="Required when answering after `due_at`: why the answer is late.",
    )
    reliability = serializers.ChoiceField(
        choices=SourceReliability.choices,
        default=SourceReliability.X,
        help_text="The answer's source reliability (Europol 4x4), as for a message.",
    )
    accuracy = serializers.ChoiceField(
        choices=InformationAccuracy.choices,
        default=InformationAccuracy.NOT_CORROBORATED,
        help_text="The answer's information accuracy (Europol 4x4), as for a message.",
    )
