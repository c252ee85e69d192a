"""Countries, link offices, partner organisations, memberships and office permissions."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from glo_act.models import TimeStampedModel
from liaison_offices.constants import (
    HQ_CODE,
    OfficeStatus,
    PartnerKind,
    Role,
    Service,
)


class Country(models.Model):
    """An ISO 3166-1 country, loaded from the standard by a migration (never typed by hand)."""

    iso3 = models.CharField("ISO alpha-3", max_length=3, primary_key=True)
    iso2 = models.CharField("ISO alpha-2", max_length=2, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "countries"

    def __str__(self) -> str:
        from glo_act.names import country

        return country(self.name)


class LinkOffice(TimeStampedModel):
    """An FIA link office abroad (code = host country's ISO alpha-3), or HQ in Islamabad."""

    code = models.CharField(max_length=3, unique=True, help_text="ISO alpha-3, or HQ")
    name = models.CharField(max_length=120)
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="link_offices")
    city = models.CharField(max_length=80)
    opened_on = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=12, choices=OfficeStatus.choices, default=OfficeStatus.ACTIVE
    )
    group = models.OneToOneField(
        Group, on_delete=models.PROTECT, related_name="link_office", editable=False
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        permissions = [
            ("view_office_cases", "Can see the cases of this office"),
            ("change_office_cases", "Can work the cases of this office"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_hq(self) -> bool:
        return self.code == HQ_CODE


class PartnerOrganisation(TimeStampedModel):
    """An embassy, agency, international organisation or NGO the offices work with."""

    name = models.CharField(max_length=160, unique=True)
    short_name = models.CharField(max_length=40, blank=True)
    kind = models.CharField(max_length=20, choices=PartnerKind.choices)
    country = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        related_name="partners",
        help_text="The country it represents (embassy) or works in.",
    )
    services = models.JSONField(
        default=list,
        blank=True,
        help_text="Services offered to victims (for referrals); values of Service.",
    )
    is_active = models.BooleanField(default=True)
    group = models.OneToOneField(
        Group, on_delete=models.PROTECT, related_name="partner_organisation", editable=False
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.short_name or self.name

    def provides(self, service: str) -> bool:
        return service in self.services

    def get_services_display(self) -> str:
        labels = dict(Service.choices)
        return ", ".join(str(labels.get(s, s)) for s in self.services)


class Membership(TimeStampedModel):
    """A user acting for an office or a partner organisation, in a role; ended, never deleted."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    office = models.ForeignKey(
        LinkOffice, null=True, blank=True, on_delete=models.PROTECT, related_name="memberships"
    )
    partner = models.ForeignKey(
        PartnerOrganisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    role = models.CharField(max_length=12, choices=Role.choices)
    title = models.CharField(
        max_length=120, blank=True, help_text="e.g. Immigration Liaison Officer"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["user__username"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(office__isnull=False, partner__isnull=True)
                    | models.Q(office__isnull=True, partner__isnull=False)
                ),
                name="membership_office_xor_partner",
            ),
            models.UniqueConstraint(
                fields=["user", "office"],
                condition=models.Q(ended_at__isnull=True, office__isnull=False),
                name="membership_one_active_per_office",
            ),
            models.UniqueConstraint(
                fields=["user", "partner"],
                condition=models.Q(ended_at__isnull=True, partner__isnull=False),
                name="membership_one_active_per_partner",
            ),
        ]
        indexes = [models.Index(fields=["user", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.organisation}"

    @property
    def organisation(self) -> LinkOffice | PartnerOrganisation:
        return self.office or self.partner

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


# Office permissions live in direct foreign-key tables: the generic guardian tables compare
# `object_pk` as text and are the slow path (docs/performance.md#where-permissions-live).
class GrantTerms(models.Model):
    """Why HQ granted an office's permission, who did, and until when.

    A grant whose `ends_at` has passed grants nothing: the access scope (`liaison_offices.access`)
    and the notification recipients ignore it. The row stays, so the grantee's page lists it
    as ended; granting again renews it. An office's own group holds its permissions with no
    reason and no end.
    """

    reason = models.CharField(max_length=300, blank=True)
    ends_at = models.DateTimeField(
        "ends", null=True, blank=True, help_text="Empty: until HQ revokes it."
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    granted_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        abstract = True

    @property
    def is_live(self) -> bool:
        return self.ends_at is None or self.ends_at > timezone.now()


def live_grant_q(now=None) -> models.Q:
    """Grants not yet ended."""
    return models.Q(ends_at__isnull=True) | models.Q(ends_at__gt=now or timezone.now())


class LinkOfficeUserObjectPermission(UserObjectPermissionBase, GrantTerms):
    """A per-user grant of an office permission (joint investigation, leave cover)."""

    content_object = models.ForeignKey(LinkOffice, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = "office permission granted to a user"

    def __str__(self) -> str:
        return f"{self.permission.name} — {self.content_object} — {self.user}"


class LinkOfficeGroupObjectPermission(GroupObjectPermissionBase, GrantTerms):
    """A per-group grant of an office permission; each office's own group holds both."""

    content_object = models.ForeignKey(LinkOffice, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = "office permission granted to a group"

    def __str__(self) -> str:
        return f"{self.permission.name} — {self.content_object} — {self.group}"


# Notifications (outbox, deliveries, inbox, preferences, webhooks) live in their own module.
from liaison_offices.notification_models import *  # noqa: E402, F403
