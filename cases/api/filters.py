"""Query filters for the cases API. A value that is not valid is a 400 naming the parameter."""

from __future__ import annotations

import django_filters
from django.utils import timezone

from cases.constants import (
    AssignedFilter,
    CaseKind,
    CaseStatus,
    Exploitation,
    RequestKind,
    RequestStatus,
)
from cases.models import Case, CooperationRequest
from glo_act.api import StrictFilterSet, UtcIsoDateTimeFilter


class CaseFilter(StrictFilterSet):
    kind = django_filters.ChoiceFilter(
        choices=CaseKind.choices, help_text="TIP (trafficking in persons) or SOM (smuggling)."
    )
    status = django_filters.ChoiceFilter(choices=CaseStatus.choices, help_text="Case status.")
    exploitation = django_filters.ChoiceFilter(
        choices=Exploitation.choices,
        method="filter_exploitation",
        help_text="Cases whose forms of exploitation include this one.",
    )
    updated_since = UtcIsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Cases changed at or after this time (ISO 8601, e.g. 2026-01-31T00:00:00Z); "
        "use it to synchronise incrementally.",
    )
    assigned = django_filters.ChoiceFilter(
        choices=AssignedFilter.choices,
        method="filter_assigned",
        help_text="`mine`: the cases assigned to you; `unassigned`: open cases assigned to "
        "nobody. The same filter as the case list page's.",
    )
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=100,
        help_text="Reference, title, suspect name or route place contains this text.",
    )

    class Meta:
        model = Case
        fields = ["kind", "status", "exploitation", "updated_since", "assigned", "search"]

    def filter_exploitation(self, queryset, name, value):
        return queryset.with_exploitation(value) if value else queryset

    def filter_assigned(self, queryset, name, value):
        return queryset.assigned(self.request.user, value) if value else queryset

    def filter_search(self, queryset, name, value):
        return queryset.search(value, user=self.request.user) if value else queryset


class CooperationRequestFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=RequestStatus.choices)
    kind = django_filters.ChoiceFilter(choices=RequestKind.choices)
    overdue = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_overdue",
        help_text="true: open requests past their due time; false: every other request.",
    )
    case = django_filters.CharFilter(
        field_name="case__reference", max_length=24, help_text="Requests on this case reference."
    )

    class Meta:
        model = CooperationRequest
        fields = ["status", "kind", "overdue", "case"]

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        overdue = {"status": RequestStatus.OPEN, "due_at__lt": timezone.now()}
        return queryset.filter(**overdue) if value == "true" else queryset.exclude(**overdue)
