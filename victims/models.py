"""Victims, their consents, referrals to services, reintegration follow-up and the access log."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from cases.constants import AgeBand, RecruiterRelationship, Sex
from cases.models import Case
from liaison_offices.constants import Service
from liaison_offices.models import Country, LinkOffice, PartnerOrganisation
from victims.constants import (
    AccessDoor,
    ConsentPurpose,
    IdentificationStatus,
    IdentifiedBy,
    LawfulBasis,
    MigrationStatus,
    ReferralStatus,
    RevealPurpose,
    UpdateKind,
)
from victims.crypto import EncryptedDateField, EncryptedTextField
from victims.querysets import (
    ConsentQuerySet,
    FollowUpQuerySet,
    ReferralQuerySet,
    VictimQuerySet,
)

# Blind indexes are kept out of the history tables: fewer copies of linkable identifiers.
BLIND_INDEX_FIELDS = ["passport_index", "cnic_index", "name_dob_index"]


class VictimCodeCounter(models.Model):
    """The last victim sequence number issued per office per year; locked while one is issued."""

    office = models.ForeignKey(LinkOffice, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "year"], name="victim_counter_office_year")
        ]

    def __str__(self) -> str:
        return f"{self.office_id}/{self.year}: {self.last_value}"


class Victim(models.Model):
    """A (possible) victim, known by a pseudonymous code; personal data encrypted at rest."""

    code = models.CharField(max_length=24, unique=True, editable=False)
    recorded_by_office = models.ForeignKey(
        LinkOffice, on_delete=models.PROTECT, related_name="victims_recorded"
    )
    cases = models.ManyToManyField(Case, through="VictimCaseLink", related_name="victims")

    # Personal data: Fernet tokens in the database, `Sealed` on the instance (victims.crypto).
    full_name = EncryptedTextField()
    date_of_birth = EncryptedDateField()
    passport_number = EncryptedTextField()
    cnic_number = EncryptedTextField("CNIC number")
    phone = EncryptedTextField()
    address = EncryptedTextField()
    passport_index = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    cnic_index = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    name_dob_index = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    # Personal data is held on the victim's consent to its processing or, without it, on a
    # recorded lawful basis (victims.services: `_check_basis_for_personal_data`).
    lawful_basis = models.CharField(
        max_length=20, choices=LawfulBasis.choices, blank=True, editable=False
    )
    lawful_basis_note = models.CharField(max_length=300, blank=True, editable=False)

    # Non-identifying facts, shown to everyone who sees the victim.
    sex = models.CharField(max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    age_at_identification = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(120)]
    )
    age_band = models.CharField(
        max_length=8, choices=AgeBand.choices, default=AgeBand.UNKNOWN, editable=False
    )
    is_child = models.BooleanField(default=False, editable=False)
    identified_on = models.DateField(default=timezone.localdate)
    nationality = models.ForeignKey(
        Country, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    languages = models.JSONField(default=list, blank=True, help_text="Languages spoken")
    identification_status = models.CharField(
        max_length=16, choices=IdentificationStatus.choices, default=IdentificationStatus.POSSIBLE
    )
    identified_by = models.CharField(
        "status decided by", max_length=8, choices=IdentifiedBy.choices, blank=True
    )
    forms_of_exploitation = models.JSONField(default=list, blank=True)
    vulnerabilities = models.JSONField(default=list, blank=True)
    migration_status = models.CharField(
        max_length=16, choices=MigrationStatus.choices, default=MigrationStatus.UNKNOWN
    )
    # HTCDS, per victim (docs/investigation.md#htcds-fields): lists of choice values.
    means_of_control = models.JSONField(default=list, blank=True)
    labour_sectors = models.JSONField(default=list, blank=True)
    recruiter_relationship = models.CharField(
        max_length=20, choices=RecruiterRelationship.choices, blank=True
    )
    recruitment_methods = models.JSONField(default=list, blank=True)
    recruitment_platforms = models.JSONField(
        default=list, blank=True, help_text="Online platforms used to recruit"
    )
    exploitation_platforms = models.JSONField(
        default=list, blank=True, help_text="Online platforms used to exploit"
    )
    # The identification screening: the elements of trafficking found (act, means, purpose).
    # It supports the identification decision and does not make it (`victims.screening`).
    screening_acts = models.JSONField(default=list, blank=True)
    screening_means = models.JSONField(default=list, blank=True)
    screening_purposes = models.JSONField(default=list, blank=True)

    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    # Bumped by every edit; an edit made on an older version is refused with what changed
    # since (the history row of that version is the state the editor saw).
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = VictimQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=BLIND_INDEX_FIELDS)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recorded_by_office", "-created_at"], name="victim_office_time")
        ]

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        return reverse("victims:detail", kwargs={"code": self.code})

    @property
    def notification_label(self) -> str:
        """How notifications name the victim: the code, never the name."""
        return self.code

    @property
    def screening(self):
        """The identification screening's reading (`victims.screening.Screening`)."""
        from victims.screening import screen

        return screen(self)


class VictimCaseLink(models.Model):
    """A victim's link to a case: who linked them, when."""

    victim = models.ForeignKey(Victim, on_delete=models.CASCADE, related_name="case_links")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="victim_links")
    linked_at = models.DateTimeField(default=timezone.now, editable=False)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["linked_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["victim", "case"], name="victim_case_link_unique")
        ]
        # visible_to probes "is this victim linked to a case I see?" from both ends.
        indexes = [models.Index(fields=["case", "victim"], name="victim_link_case")]

    def __str__(self) -> str:
        return f"{self.victim_id} ↔ {self.case_id}"


class Consent(models.Model):
    """What a victim agreed to, for one purpose (and organisation/service); withdrawable."""

    victim = models.ForeignKey(Victim, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(max_length=16, choices=ConsentPurpose.choices)
    partner = models.ForeignKey(
        PartnerOrganisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="victim_consents",
    )
    office = models.ForeignKey(
        LinkOffice, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    service = models.CharField(max_length=16, choices=Service.choices, blank=True)
    note = models.CharField(
        max_length=200, blank=True, help_text="How it was given (e.g. in writing, via interpreter)"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Bumped by every change (a withdrawal): a change made on an older version is refused with
    # what changed since (victims.services: `check_consent_version`).
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = ConsentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["victim", "-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    (
                        Q(purpose=ConsentPurpose.REFERRAL)
                        & Q(partner__isnull=False, office__isnull=True)
                        & ~Q(service="")
                    )
                    | (
                        Q(purpose=ConsentPurpose.SHARING, service="")
                        & (
                            Q(partner__isnull=False, office__isnull=True)
                            | Q(partner__isnull=True, office__isnull=False)
                        )
                    )
                    | Q(
                        purpose__in=[ConsentPurpose.DATA_PROCESSING, ConsentPurpose.STATISTICS],
                        partner__isnull=True,
                        office__isnull=True,
                        service="",
                    )
                ),
                name="consent_purpose_shape",
            )
        ]
        indexes = [
            models.Index(
                fields=["victim", "purpose"],
                condition=Q(withdrawn_at__isnull=True),
                name="consent_live",
            )
        ]

    def __str__(self) -> str:
        target = self.partner or self.office
        what = self.get_purpose_display()
        if target is not None:
            what += f" — {target}"
        if self.service:
            what += f" — {self.get_service_display()}"
        state = " (withdrawn)" if self.withdrawn_at else ""
        return f"{self.victim.code}: {what}{state}"

    @property
    def is_live(self) -> bool:
        return self.withdrawn_at is None


class Referral(models.Model):
    """A victim referred by an office to a partner organisation for one service."""

    victim = models.ForeignKey(Victim, on_delete=models.PROTECT, related_name="referrals")
    from_office = models.ForeignKey(
        LinkOffice, on_delete=models.PROTECT, related_name="referrals_sent"
    )
    partner = models.ForeignKey(
        PartnerOrganisation, on_delete=models.PROTECT, related_name="referrals_received"
    )
    service = models.CharField(max_length=16, choices=Service.choices)
    status = models.CharField(
        max_length=12, choices=ReferralStatus.choices, default=ReferralStatus.PENDING
    )
    note = models.TextField(blank=True, help_text="For the provider: what is needed, by when")
    consent = models.ForeignKey(
        Consent,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
        help_text="The consent it relies on; empty when sent under an override.",
    )
    override_reason = models.TextField(blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set when the victim withdraws the consent the referral relies on: the provider may not
    # take it further (and sees no personal data) until a new consent or an override resumes it.
    paused_at = models.DateTimeField(null=True, blank=True, editable=False)
    decline_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    responded_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every change (a status move, a progress note, a pause or resume): an action
    # taken on an older version is refused with what changed since, and the API's ETag is
    # built from it (victims.services: `check_referral_version`).
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = ReferralQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            (
                "override_referral_consent",
                "Can refer a victim without the victim's consent (with a written reason)",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(consent__isnull=False) | ~Q(override_reason=""),
                name="referral_consent_or_override",
            ),
            models.CheckConstraint(
                condition=~Q(status=ReferralStatus.DECLINED) | ~Q(decline_reason=""),
                name="referral_decline_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["partner", "status", "-created_at"], name="referral_partner"),
            models.Index(fields=["from_office", "status", "-created_at"], name="referral_office"),
            models.Index(fields=["victim", "status"], name="referral_victim"),
        ]

    def __str__(self) -> str:
        return f"{self.victim.code} → {self.partner} ({self.get_service_display()})"

    def get_absolute_url(self) -> str:
        return reverse("victims:referral", kwargs={"pk": self.pk})

    @property
    def notification_label(self) -> str:
        """How notifications name the referral: victim code and service, nothing personal."""
        return f"{self.victim.code} {self.service}"

    @property
    def is_open(self) -> bool:
        from victims.constants import OPEN_REFERRAL_STATUSES

        return self.status in OPEN_REFERRAL_STATUSES


class ReferralUpdate(models.Model):
    """One entry in a referral's thread: a status change, a progress note, an override."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="updates")
    kind = models.CharField(max_length=16, choices=UpdateKind.choices)
    status_from = models.CharField(max_length=12, choices=ReferralStatus.choices, blank=True)
    status_to = models.CharField(max_length=12, choices=ReferralStatus.choices, blank=True)
    body = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on referral {self.referral_id}"


class ReintegrationFollowUp(models.Model):
    """A scheduled reintegration check on a referral, scored 1–5 when it is done."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="followups")
    due_on = models.DateField()
    economic_score = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    social_score = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    psychosocial_score = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    notes = models.TextField(blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # 1 while planned; bumped when it is recorded and by each correction after that: a record
    # made on an older version is refused with what changed since (victims.services:
    # `check_followup_version`); the history rows give the values each version had.
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = FollowUpQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["referral", "due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["referral", "due_on"], name="followup_unique_due"),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{score}__isnull": True})
                    | Q(**{f"{score}__gte": 1, f"{score}__lte": 5}),
                    name=f"followup_{score}_1_5",
                )
                for score in ("economic_score", "social_score", "psychosocial_score")
            ),
        ]
        indexes = [
            models.Index(fields=["due_on"], condition=Q(done_at__isnull=True), name="followup_due")
        ]

    def __str__(self) -> str:
        return f"Follow-up of referral {self.referral_id} due {self.due_on}"


class PersonalDataAccess(models.Model):
    """One look at a victim's personal data: who, which victim, when, through which door."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    victim = models.ForeignKey(Victim, on_delete=models.PROTECT, related_name="access_records")
    at = models.DateTimeField(default=timezone.now, editable=False)
    door = models.CharField(max_length=8, choices=AccessDoor.choices)
    fields = models.JSONField(default=list)
    # Why (asked on the page before a reveal): a choice, and the person's words.
    purpose = models.CharField(max_length=12, choices=RevealPurpose.choices, blank=True)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "personal data access"
        verbose_name_plural = "personal data accesses"
        indexes = [
            models.Index(fields=["victim", "-at"], name="pd_access_victim"),
            models.Index(fields=["user", "-at"], name="pd_access_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} read {self.victim.code} ({self.door}) at {self.at:%Y-%m-%d %H:%M}"
