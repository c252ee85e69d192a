"""Query filters for the victims API. A value that is not valid is a 400 naming the parameter."""

from __future__ import annotations

import django_filters

from cases.models import Case
from glo_act.api import StrictFilterSet
from liaison_offices.constants import Service
from victims.constants import IdentificationStatus, ReferralStatus
from victims.models import Referral, Victim


class VictimFilter(StrictFilterSet):
    case = django_filters.CharFilter(
        method="filter_case",
        max_length=24,
        help_text="Victims linked to this case reference (a case you may see).",
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

    def filter_case(self, queryset, name, value):
        # Only a case the caller sees: a victim seen through a referral must not confirm that
        # another office's case exists, nor that the victim is linked to it.
        if not value:
            return queryset
        cases = Case.objects.visible_to(self.request.user).filter(reference=value)
        return queryset.filter(case_links__case__in=cases)

    def filter_is_child(self, queryset, name, value):
        return queryset.filter(is_child=value == "true") if value else queryset


class ReferralFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=ReferralStatus.choices)
    service = django_filters.ChoiceFilter(choices=Service.choices)

    class Meta:
        model = Referral
        fields = ["status", "service"]
