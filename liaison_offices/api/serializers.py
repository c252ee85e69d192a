"""API representations of users, offices and partners."""

from __future__ import annotations

from rest_framework import serializers

from liaison_offices.models import LinkOffice, Membership, PartnerOrganisation


class OfficeSerializer(serializers.ModelSerializer):
    country = serializers.CharField(source="country_id", read_only=True)

    class Meta:
        model = LinkOffice
        fields = ["code", "name", "city", "country", "status"]


class PartnerSerializer(serializers.ModelSerializer):
    country = serializers.CharField(source="country_id", read_only=True)

    class Meta:
        model = PartnerOrganisation
        fields = ["id", "name", "short_name", "kind", "country", "services"]


class MembershipSerializer(serializers.ModelSerializer):
    office = serializers.SlugRelatedField(slug_field="code", read_only=True)
    partner = serializers.CharField(source="partner.name", read_only=True, default=None)

    class Meta:
        model = Membership
        fields = ["role", "title", "office", "partner"]


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    full_name = serializers.CharField()
    is_hq = serializers.BooleanField()
    memberships = MembershipSerializer(many=True)
    desks = OfficeSerializer(many=True, help_text="Offices whose cases you see.")
    partners = PartnerSerializer(many=True, help_text="Partner organisations you act for.")
    token_expires_at = serializers.DateTimeField(
        allow_null=True, help_text="When the token used for this call expires (null: session)."
    )
