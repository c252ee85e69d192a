"""API representations of users, offices and partners."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from glo_act.api import StrictCharField
from liaison_offices.constants import EventKind
from liaison_offices.models import LinkOffice, Membership, Notification, PartnerOrganisation
from liaison_offices.sentences import compose


class OfficeSerializer(serializers.ModelSerializer):
    country = StrictCharField(source="country_id", read_only=True)

    class Meta:
        model = LinkOffice
        fields = ["code", "name", "city", "country", "status"]


class PartnerSerializer(serializers.ModelSerializer):
    country = StrictCharField(source="country_id", read_only=True)

    class Meta:
        model = PartnerOrganisation
        fields = ["id", "name", "short_name", "kind", "country", "services"]


class MembershipSerializer(serializers.ModelSerializer):
    office = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text="Office code, or null."
    )
    partner = StrictCharField(
        source="partner.name",
        read_only=True,
        default=None,
        allow_null=True,
        help_text="Partner organisation's name, or null.",
    )

    class Meta:
        model = Membership
        fields = ["role", "title", "office", "partner"]


class MeSerializer(serializers.Serializer):
    username = StrictCharField()
    full_name = StrictCharField()
    is_hq = serializers.BooleanField()
    memberships = MembershipSerializer(many=True)
    desks = OfficeSerializer(many=True, help_text="Offices whose cases you see.")
    partners = PartnerSerializer(many=True, help_text="Partner organisations you act for.")
    token_expires_at = serializers.DateTimeField(
        allow_null=True, help_text="When the token used for this call expires (null: session)."
    )


class NotificationSubjectSerializer(serializers.Serializer):
    type = StrictCharField(
        help_text="What the notification is about: `cases.case`, `cases.cooperationrequest`, "
        "`victims.referral`, …"
    )
    id = serializers.IntegerField(help_text="Its id (a referral's or request's API id).")
    label = StrictCharField(help_text="Its short impersonal name, e.g. a case reference.")


class NotificationSerializer(serializers.ModelSerializer):
    """A line of the caller's inbox: impersonal title and text, what it is about, read or not.

    `title` and `text` are the event's sentence in the caller's language (Accept-Language),
    made from the payload when read (liaison_offices/sentences.py): the inbox page says the
    same."""

    kind = serializers.ChoiceField(choices=EventKind.choices)
    title = serializers.SerializerMethodField(help_text="The headline: what happened, to what.")
    text = serializers.SerializerMethodField(
        help_text="The sentence: who did what, its times named with their zone."
    )
    subject = serializers.SerializerMethodField()
    payload = serializers.JSONField(
        source="event.payload",
        help_text="Codes, references and statuses of the event (never personal data).",
    )
    is_read = serializers.BooleanField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "title",
            "text",
            "url",
            "subject",
            "payload",
            "created_at",
            "read_at",
            "is_read",
        ]
        read_only_fields = fields

    def _sentence(self, notification):
        sentence = getattr(notification, "sentence", None)
        if sentence is None:
            sentence = compose(notification.event)
            notification.sentence = sentence
        return sentence

    def get_title(self, notification) -> str:
        return self._sentence(notification).title

    def get_text(self, notification) -> str:
        return self._sentence(notification).text

    @extend_schema_field(NotificationSubjectSerializer)
    def get_subject(self, notification) -> dict:
        event = notification.event
        return {
            "type": f"{event.subject_type.app_label}.{event.subject_type.model}",
            "id": event.subject_id,
            "label": event.subject_label,
        }


class MarkedReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many notifications were unread.")
