"""HQ's view of the person index in the admin: who is recorded on which case, and the kinds
of identifier they carry, values masked (the case page shows them to whoever may see them).
Records are added on the case pages and the API; removing one here goes through
`people.services.person_remove`, with its timeline line."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count

from people import services
from people.models import Identifier, PersonOfInterest
from people.presentation import mask
from victims.crypto import PersonalDataUnreadable, Sealed


class IdentifierInline(admin.TabularInline):
    model = Identifier
    fields = ["kind", "masked_value", "created_by", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="value (masked)")
    def masked_value(self, obj: Identifier) -> str:
        value = obj.value
        try:
            text = value.reveal() if isinstance(value, Sealed) else (value or "")
        except PersonalDataUnreadable:
            return "cannot be read now"
        return mask(obj.kind, text)


@admin.register(PersonOfInterest)
class PersonOfInterestAdmin(admin.ModelAdmin):
    list_display = ["label", "role", "case_reference", "lead_office", "identifier_count"]
    list_filter = ["role", "case__lead_office"]
    search_fields = ["case__reference", "label"]
    fields = ["case", "role", "label", "suspect", "created_by", "created_at"]
    readonly_fields = fields
    inlines = [IdentifierInline]
    actions = None

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("case__lead_office", "suspect", "created_by")
            .annotate(identifier_total=Count("identifiers"))
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="case", ordering="case__reference")
    def case_reference(self, obj: PersonOfInterest) -> str:
        return obj.case.reference

    @admin.display(description="lead office", ordering="case__lead_office__code")
    def lead_office(self, obj: PersonOfInterest) -> str:
        return obj.case.lead_office.code

    @admin.display(description="identifiers", ordering="identifier_total")
    def identifier_count(self, obj: PersonOfInterest) -> int:
        return obj.identifier_total

    def delete_model(self, request, obj):
        services.person_remove(acting_user=request.user, person=obj)

    def delete_queryset(self, request, queryset):
        for person in queryset:
            services.person_remove(acting_user=request.user, person=person)
