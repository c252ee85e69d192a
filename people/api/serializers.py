"""The person index in the API: the case detail's `people` section, and the shapes of the
people endpoints (people/api/views.py). What each level shows is `people.presentation`'s."""

from __future__ import annotations

from rest_framework import serializers

from cases.api.serializers import CaseSection, register_case_section
from cases.constants import ShareLevel, Urgency
from glo_act.api import StrictCharField
from people.constants import IdentifierKind, PersonRole
from people.matching import Matches
from people.presentation import CasePeople, case_people


class VisibleMatchSerializer(serializers.Serializer):
    reference = serializers.CharField(help_text="The other case, which you may see.")
    title = serializers.CharField()
    lead_office = serializers.CharField(source="lead_office_code")
    kind = serializers.ChoiceField(choices=IdentifierKind.choices)


class HiddenMatchSerializer(serializers.Serializer):
    office = serializers.CharField(
        source="office_code",
        help_text="The office leading a case you may not see that holds the same identifier: "
        "nothing else of that case is told.",
    )
    office_name = serializers.CharField()
    kind = serializers.ChoiceField(choices=IdentifierKind.choices)


class IdentifierSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    kind = serializers.ChoiceField(choices=IdentifierKind.choices)
    value = serializers.CharField(
        source="shown",
        help_text="In clear, or masked where your level requires (a witness's identifiers "
        "through a full share); empty when it cannot be decrypted now.",
    )
    masked = serializers.BooleanField()
    unreadable = serializers.BooleanField()
    matches = VisibleMatchSerializer(many=True, source="visible_matches")
    held_elsewhere = HiddenMatchSerializer(
        many=True,
        source="hidden_matches",
        help_text="Offices holding a match in cases you may not see (office staff and HQ only).",
    )


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    role = serializers.ChoiceField(choices=PersonRole.choices)
    label = serializers.CharField()
    suspect = serializers.IntegerField(source="suspect_id", allow_null=True)
    identifiers = IdentifierSerializer(many=True)


class CasePeopleSerializer(serializers.Serializer):
    people = PersonSerializer(many=True)
    more_matches = serializers.BooleanField(
        source="matches.truncated", help_text="More matches exist than are listed."
    )


class MatchesSerializer(serializers.Serializer):
    matches = VisibleMatchSerializer(many=True, source="visible")
    held_elsewhere = HiddenMatchSerializer(many=True, source="hidden")
    more_matches = serializers.BooleanField(source="truncated")


class PersonCreateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=PersonRole.choices)
    label = StrictCharField(
        max_length=120,
        required=False,
        allow_blank=True,
        help_text="How the case refers to the person, not a name; a suspect's defaults to the "
        "suspect's name as recorded.",
    )
    suspect = serializers.IntegerField(
        required=False, allow_null=True, help_text="The id of a suspect of this case."
    )


class IdentifierCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=IdentifierKind.choices)
    value = StrictCharField(max_length=200, help_text="As written; normalised by the server.")


class LookupSerializer(IdentifierCreateSerializer):
    pass


class MatchRequestSerializer(serializers.Serializer):
    identifier = serializers.IntegerField(help_text="The id of an identifier of this case.")
    office = StrictCharField(max_length=3, help_text="The code of the office holding the match.")
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)


class MatchRequestCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    to_office = serializers.CharField(source="to_office.code")
    kind = serializers.CharField()
    question = serializers.CharField()
    due_at = serializers.DateTimeField()


def _load(case, user) -> CasePeople:
    from cases.access import case_access

    return case_people(user, case, case_access(user, case).level)


register_case_section(
    CaseSection(
        name="people",
        min_level=ShareLevel.FULL,
        field=lambda: CasePeopleSerializer(
            required=False,
            source="section_people",
            help_text="Present at full level and above: the people of interest, their "
            "identifiers (masked as the level requires) and where else they are held "
            "(docs/people.md).",
        ),
        load=_load,
    )
)

__all__ = ["CasePeopleSerializer", "MatchesSerializer", "Matches"]
