"""API representations of victims and referrals.

A victim is shown by its pseudonymous code and non-identifying facts. Personal data appears
only in `personal_data`, only with the fields `victims.access` allows the caller, and every
time it does, an access record (door "api") is written.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.api.serializers import CaseSection, register_case_section
from cases.constants import (
    AgeBand,
    Exploitation,
    LabourSector,
    MeansOfControl,
    OnlinePlatform,
    RecruiterRelationship,
    RecruitmentMethod,
    Sex,
    ShareLevel,
    TraffickingAct,
    TraffickingMeans,
)
from glo_act.api import StrictCharField
from liaison_offices.constants import Service
from victims.access import personal_fields_of
from victims.constants import (
    ALL_PERSONAL_FIELDS,
    IdentificationStatus,
    IdentifiedBy,
    MigrationStatus,
    ReferralStatus,
    UpdateKind,
    Vulnerability,
)
from victims.models import Referral, ReferralUpdate, Victim

PERSONAL_DATA_HELP = (
    "The victim's personal data, with only the fields you may see (absent fields are not "
    "yours to see); null when you may see none. Shown to the lead or recording office and HQ; "
    "to a recipient of a full-with-victims share only while the victim consents to sharing "
    "with that organisation; to a service provider working a referral, only what its service "
    "needs. Every response that carries it is recorded in the victim's access log."
)


class PersonalDataSerializer(serializers.Serializer):
    full_name = StrictCharField(required=False)
    date_of_birth = serializers.DateField(required=False)
    passport_number = StrictCharField(required=False)
    cnic_number = StrictCharField(required=False, help_text="Pakistani national ID")
    phone = StrictCharField(required=False)
    address = StrictCharField(required=False)


class ScreeningSerializer(serializers.Serializer):
    """The identification screening: act, means, purpose (docs/investigation.md)."""

    acts = serializers.ListField(child=serializers.ChoiceField(choices=TraffickingAct.choices))
    means = serializers.ListField(child=serializers.ChoiceField(choices=TraffickingMeans.choices))
    purposes = serializers.ListField(child=serializers.ChoiceField(choices=Exploitation.choices))
    means_needed = serializers.BooleanField(help_text="False for a child: no means needed.")
    meets_definition = serializers.BooleanField(
        help_text="Act, means (unless a child) and purpose all found. It supports the "
        "identification decision; it does not make it."
    )
    missing = serializers.ListField(child=StrictCharField(), help_text="Elements not found.")
    summary = StrictCharField()


class VictimSerializer(serializers.ModelSerializer):
    """A victim by code, with the non-identifying facts everyone who sees it may read."""

    recorded_by_office = StrictCharField(source="recorded_by_office.code")
    sex = serializers.ChoiceField(choices=Sex.choices)
    age_band = serializers.ChoiceField(choices=AgeBand.choices, help_text="CTDC age band")
    is_child = serializers.BooleanField(help_text="Under 18 when identified.")
    nationality = StrictCharField(
        source="nationality_id", allow_null=True, help_text="ISO 3166 alpha-3"
    )
    languages = serializers.ListField(child=StrictCharField())
    identification_status = serializers.ChoiceField(choices=IdentificationStatus.choices)
    identified_by = serializers.ChoiceField(
        choices=IdentifiedBy.choices, allow_blank=True, help_text="Who decided the status."
    )
    forms_of_exploitation = serializers.ListField(
        child=serializers.ChoiceField(choices=Exploitation.choices)
    )
    vulnerabilities = serializers.ListField(
        child=serializers.ChoiceField(choices=Vulnerability.choices)
    )
    migration_status = serializers.ChoiceField(choices=MigrationStatus.choices)
    recruitment_methods = serializers.ListField(
        child=serializers.ChoiceField(choices=RecruitmentMethod.choices), help_text="HTCDS"
    )
    recruiter_relationship = serializers.ChoiceField(
        choices=RecruiterRelationship.choices, allow_blank=True
    )
    means_of_control = serializers.ListField(
        child=serializers.ChoiceField(choices=MeansOfControl.choices)
    )
    labour_sectors = serializers.ListField(
        child=serializers.ChoiceField(choices=LabourSector.choices)
    )
    recruitment_platforms = serializers.ListField(
        child=serializers.ChoiceField(choices=OnlinePlatform.choices),
        help_text="Online platforms used to recruit the victim.",
    )
    exploitation_platforms = serializers.ListField(
        child=serializers.ChoiceField(choices=OnlinePlatform.choices),
        help_text="Online platforms used to exploit the victim.",
    )
    screening = serializers.SerializerMethodField()
    cases = serializers.SerializerMethodField()
    personal_data_fields = serializers.SerializerMethodField()

    class Meta:
        model = Victim
        fields = [
            "code",
            "recorded_by_office",
            "sex",
            "age_at_identification",
            "age_band",
            "is_child",
            "nationality",
            "languages",
            "identification_status",
            "identified_by",
            "identified_on",
            "forms_of_exploitation",
            "vulnerabilities",
            "migration_status",
            "recruitment_methods",
            "recruiter_relationship",
            "means_of_control",
            "labour_sectors",
            "recruitment_platforms",
            "exploitation_platforms",
            "screening",
            "cases",
            "personal_data_fields",
        ]
        read_only_fields = fields

    @extend_schema_field(ScreeningSerializer)
    def get_screening(self, victim) -> dict:
        screening = victim.screening
        return {
            "acts": list(screening.acts),
            "means": list(screening.means),
            "purposes": list(screening.purposes),
            "means_needed": screening.means_needed,
            "meets_definition": screening.meets_definition,
            "missing": screening.missing if screening.screened else ["act", "means", "purpose"],
            "summary": screening.summary,
        }

    @extend_schema_field(
        serializers.ListField(
            child=StrictCharField(),
            help_text="References of the victim's cases that you may see.",
        )
    )
    def get_cases(self, victim) -> list[str]:
        return [link.case.reference for link in victim.visible_case_links]

    @extend_schema_field(
        serializers.ListField(
            child=serializers.ChoiceField(choices=list(ALL_PERSONAL_FIELDS)),
            help_text="The personal fields you may read (in the victim's detail); empty: "
            "code and facts only.",
        )
    )
    def get_personal_data_fields(self, victim) -> list[str]:
        allowed = personal_fields_of(victim, self.context["request"].user)
        return [name for name in ALL_PERSONAL_FIELDS if name in allowed]


class VictimDetailSerializer(VictimSerializer):
    """A victim with the personal data the caller may see (the read is recorded)."""

    personal_data = serializers.SerializerMethodField()

    class Meta(VictimSerializer.Meta):
        fields = [*VictimSerializer.Meta.fields, "personal_data"]
        read_only_fields = fields

    @extend_schema_field(PersonalDataSerializer(allow_null=True, help_text=PERSONAL_DATA_HELP))
    def get_personal_data(self, victim) -> dict | None:
        personal = victim.revealed
        if not personal:
            return None
        return PersonalDataSerializer(personal.as_dict()).data


# --- the victims section of a case --------------------------------------------------------------


class CaseVictimSerializer(VictimDetailSerializer):
    class Meta(VictimDetailSerializer.Meta):
        fields = [f for f in VictimDetailSerializer.Meta.fields if f != "cases"]
        read_only_fields = fields


def _case_victims(case, user) -> list[Victim]:
    from victims.api.views import victims_with_personal_data

    linked = Victim.objects.filter(case_links__case=case)  # scoped: by the call below
    return victims_with_personal_data(
        linked.order_by("created_at", "id"),
        user,
        with_cases=False,  # CaseVictimSerializer has no `cases`
    )


register_case_section(
    CaseSection(
        name="victims",
        min_level=ShareLevel.FULL_WITH_VICTIMS,
        field=lambda: CaseVictimSerializer(
            many=True,
            required=False,
            source="section_victims",
            help_text="Present at full-with-victims level (and for the lead office and HQ). "
            "Pseudonymous codes; `personal_data` only as the victims' consent allows.",
        ),
        load=_case_victims,
    )
)


# --- referrals ----------------------------------------------------------------------------------


class ReferralUpdateSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=UpdateKind.choices)
    status_from = serializers.ChoiceField(choices=ReferralStatus.choices, allow_blank=True)
    status_to = serializers.ChoiceField(choices=ReferralStatus.choices, allow_blank=True)
    author = serializers.SerializerMethodField()

    class Meta:
        model = ReferralUpdate
        fields = ["kind", "status_from", "status_to", "body", "author", "created_at"]
        read_only_fields = fields

    @extend_schema_field(StrictCharField(allow_null=True))
    def get_author(self, update) -> str | None:
        if update.author is None:
            return None
        return update.author.get_full_name() or update.author.get_username()


class PartnerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = StrictCharField()
    short_name = StrictCharField(allow_blank=True)


class ReferralSerializer(serializers.ModelSerializer):
    """A victim referred by an office to a partner organisation for one service."""

    victim = StrictCharField(source="victim.code", help_text="The victim's code.")
    from_office = StrictCharField(source="from_office.code")
    partner = PartnerRefSerializer()
    service = serializers.ChoiceField(choices=Service.choices)
    status = serializers.ChoiceField(choices=ReferralStatus.choices)
    sent_without_consent = serializers.SerializerMethodField()
    paused_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="Set while the referral is paused because the victim withdrew the consent it "
        "relies on: no personal data is shown and it cannot be accepted, progressed or "
        "completed until the referring office resumes it.",
    )

    class Meta:
        model = Referral
        fields = [
            "id",
            "victim",
            "from_office",
            "partner",
            "service",
            "status",
            "note",
            "decline_reason",
            "sent_without_consent",
            "paused_at",
            "created_at",
            "updated_at",
            "responded_at",
            "ended_at",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.BooleanField(
            help_text="Sent under a consent override (with a written reason in the thread)."
        )
    )
    def get_sent_without_consent(self, referral) -> bool:
        return referral.consent_id is None


class ReferralDetailSerializer(ReferralSerializer):
    updates = ReferralUpdateSerializer(many=True, help_text="The thread, oldest first.")

    class Meta(ReferralSerializer.Meta):
        fields = [*ReferralSerializer.Meta.fields, "updates"]
        read_only_fields = fields


class ReferralNoteSerializer(serializers.Serializer):
    note = StrictCharField(
        max_length=5000, required=False, allow_blank=True, help_text="For the referring office."
    )


class ReferralProgressSerializer(serializers.Serializer):
    note = StrictCharField(max_length=5000, help_text="What has been done (required).")


class ReferralDeclineSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=5000, help_text="Why you decline (required).")
