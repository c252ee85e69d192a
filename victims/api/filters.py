"""Query filters for the victims API. A value that is not valid is a 400 naming the parameter."""

from __future__ import annotations

import django_filters

from glo_act.api import StrictFilterSet
from liaison_offices.constants import Service
from victims.constants import IdentificationStatus, ReferralStatus
from victims.models import Referral, Victim


class VictimFilter(StrictFilterSet):
    case = django_filters.CharFilter(
        field_name="case_links__case__reference",
        max_length=24,
        help_text="Victims linked to this case reference.",
    )
    identification_status = django_filters.ChoiceFilter(choices=IdentificationStatus.choices)
    is_child = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_is_child",
        help_text="true: under 18 when identified.",
    )

    class Meta:
        model = Victim
        fields = ["case", "identification_status", "is_child"]

    def filter_is_child(self, queryset, name, value):
        return queryset.filter(is_child=value == "true") if value else queryset


class ReferralFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=ReferralStatus.choices)
    service = django_filters.ChoiceFilter(choices=Service.choices)

    class Meta:
        model = Referral
        fields = ["status", "service"]
