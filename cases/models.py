"""Cases of trafficking in persons and smuggling of migrants, and everything hung on them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from cases.constants import (
    AccessLevel,
    AgeBand,
    CaseKind,
    CaseOutcome,
    CaseStatus,
    HandlingCode,
    HandOverStatus,
    InformationAccuracy,
    JusticeStage,
    LabourSector,
    RecruiterRelationship,
    RequestKind,
    RequestStatus,
    RouteStage,
    Sex,
    ShareLevel,
    SourceReliability,
    SuspectRole,
    TimelineKind,
    TransportMode,
    Urgency,
    Verdict,
    grade_code,
    grade_meaning,
)
from cases.querysets import (
    CaseGrantQuerySet,
    CaseQuerySet,
    CaseShareQuerySet,
    CooperationRequestQuerySet,
    HandOverQuerySet,
    JusticeEventQuerySet,
    MessageQuerySet,
)
from liaison_offices.models import Country, LinkOffice, PartnerOrganisation


class Statute(models.Model):
    """An act, code, ordinance or decree whose provisions cases cite: Pakistan's and the host
    countries' (reference data HQ extends in the admin; docs/investigation.md#the-law-as-written).
    """

    class Unit(models.TextChoices):
        SECTION = "section", "Section (s.)"
        ARTICLE = "article", "Article (art.)"

    code = models.CharField(max_length=24, unique=True, help_text="e.g. PTPA_2018, GBR_MSA_2015")
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200, help_text="The official title")
    short_title = models.CharField(max_length=60, help_text="As cited: “PTPA 2018”")
    unit = models.CharField(max_length=8, choices=Unit.choices, default=Unit.SECTION)

    class Meta:
        ordering = ["country", "code"]

    def __str__(self) -> str:
        return f"{self.short_title} ({self.country_id})"

    @property
    def is_pakistani(self) -> bool:
        return self.country_id == "PAK"


def provision_citation(short_title: str, unit: str, section: str) -> str:
    """`PTPA 2018 s.3`, `Codice penale art. 601`; the act alone for a provision that is the
    whole act (section blank)."""
    if not section:
        return short_title
    mark = "art." if unit == Statute.Unit.ARTICLE else "s."
    return f"{short_title} {mark}{'' if mark == 's.' else ' '}{section}"


class LegalProvisionQuerySet(models.QuerySet):
    def ordered(self):
        """With their statutes, Pakistan's first, then by country and statute (the forms' and
        the API's order; `cases.full_parts` orders a case's alike)."""
        return (
            self.select_related("act")
            .annotate(
                foreign_law=models.Case(
                    models.When(act__country_id="PAK", then=models.Value(0)),
                    default=models.Value(1),
                )
            )
            .order_by("foreign_law", "act__country_id", "act__code", "id")
        )


class LegalProvision(models.Model):
    """A section or article of a statute (reference data); blank section: the act as a whole,
    for acts whose articles HQ has not yet entered."""

    act = models.ForeignKey(
        Statute, to_field="code", db_column="act", on_delete=models.PROTECT,
        related_name="provisions",
    )  # fmt: skip
    section = models.CharField(max_length=12, blank=True)
    title = models.CharField(max_length=200)

    objects = LegalProvisionQuerySet.as_manager()

    class Meta:
        ordering = ["act", "id"]
        constraints = [
            models.UniqueConstraint(fields=["act", "section"], name="legal_provision_unique")
        ]

    def __str__(self) -> str:
        from glo_act.names import provision_title

        return f"{self.citation} — {provision_title(self.title)}"

    @property
    def citation(self) -> str:
        return provision_citation(self.act.short_title, self.act.unit, self.section)


class CaseReferenceCounter(models.Model):
    """The last sequence number issued per office per year; locked while a case is created."""

    office = models.ForeignKey(LinkOffice, on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "year"], name="case_counter_office_year")
        ]

    def __str__(self) -> str:
        return f"{self.office_id}/{self.year}: {self.last_value}"


class Case(models.Model):
    """A trafficking (TIP) or smuggling (SOM) case led by one link office."""

    reference = models.CharField(max_length=24, unique=True, editable=False)
    kind = models.CharField(max_length=3, choices=CaseKind.choices)
    lead_office = models.ForeignKey(LinkOffice, on_delete=models.PROTECT, related_name="cases")
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    status = models.CharField(
        max_length=32, choices=CaseStatus.choices, default=CaseStatus.REPORTED
    )
    outcome = models.CharField(max_length=24, choices=CaseOutcome.choices, blank=True)
    # HTCDS taxonomy. Lists of choice values (JSON, so the SQLite demo database works too).
    forms_of_exploitation = models.JSONField(default=list, blank=True)
    labour_sector = models.CharField(max_length=20, choices=LabourSector.choices, blank=True)
    means_of_control = models.JSONField(default=list, blank=True)
    recruiter_relationship = models.CharField(
        max_length=20, choices=RecruiterRelationship.choices, blank=True
    )
    legal_provisions = models.ManyToManyField(LegalProvision, blank=True, related_name="cases")
    host_country_law = models.TextField(blank=True, help_text="Host-country provisions, as text")
    version = models.PositiveIntegerField(default=1, editable=False)
    # The officer of the lead office who works the case (`cases.services.casework`): set and
    # cleared by its services only, and cleared when the lead office changes.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
        editable=False,
    )
    assigned_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = CaseQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["version"])

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["lead_office", "-updated_at", "-id"], name="case_office_updated"),
            models.Index(fields=["-updated_at", "-id"], name="case_updated"),
            models.Index(fields=["status"], name="case_status"),
            # "My cases": an officer's cases, newest change first.
            models.Index(fields=["assigned_to", "-updated_at", "-id"], name="case_assigned"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} — {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("cases:detail", kwargs={"reference": self.reference})

    @property
    def is_open(self) -> bool:
        return self.status != CaseStatus.CLOSED


class RouteLeg(models.Model):
    """One stage of the route: where a victim or migrant was recruited, moved, exploited."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="route_legs")
    position = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=12, choices=RouteStage.choices)
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+")
    place = models.CharField(max_length=120, blank=True)
    mode = models.CharField(max_length=4, choices=TransportMode.choices, blank=True)
    date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["case", "position", "id"]

    def __str__(self) -> str:
        return f"{self.get_stage_display()}: {self.place or self.country}"


class Suspect(models.Model):
    """A suspected perpetrator: roles, nationality, sex, age band; a name or alias as known.

    HTCDS gives a perpetrator several roles (`roles`, in the order given); `role` is the first
    of them, kept by the services for the lists and exports that show one."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="suspects")
    name = models.CharField(max_length=120, blank=True, help_text="Name or alias as known")
    role = models.CharField(max_length=12, choices=SuspectRole.choices)
    roles = models.JSONField(default=list, blank=True, help_text="Every role, the main first")
    nationality = models.ForeignKey(
        Country, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sex = models.CharField(max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    age_band = models.CharField(max_length=8, choices=AgeBand.choices, default=AgeBand.UNKNOWN)

    class Meta:
        ordering = ["case", "id"]

    def __str__(self) -> str:
        return f"{self.name or 'Unnamed'} ({self.roles_label})"

    @property
    def roles_label(self) -> str:
        labels = dict(SuspectRole.choices)
        return ", ".join(str(labels.get(r, r)) for r in (self.roles or [self.role]))


class JusticeEvent(models.Model):
    """One step of one suspect through the justice system: arrest, charge (under a provision),
    prosecution, court, verdict (under a provision), sentence, or a hand-over to another
    jurisdiction. Seen exactly as its suspect is: at FULL level and above (`cases.access`);
    written by the lead office through `cases.services.justice`. Never edited in place: a
    mistaken line is withdrawn (kept, marked) and entered again.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="justice_events")
    # RESTRICT, not PROTECT: a suspect with lines cannot be deleted on its own (the services
    # refuse it first), but goes with its case when the case itself is deleted.
    suspect = models.ForeignKey("Suspect", on_delete=models.RESTRICT, related_name="justice_events")
    stage = models.CharField(max_length=12, choices=JusticeStage.choices)
    date = models.DateField()
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, related_name="+", help_text="The jurisdiction"
    )
    provision = models.ForeignKey(
        LegalProvision,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="justice_events",
        help_text="Charged with, convicted or acquitted of",
    )
    authority = models.CharField(
        max_length=200, blank=True, help_text="The police, prosecutor or court; for a hand-over, "
        "the authority it went to"
    )  # fmt: skip
    reference = models.CharField(max_length=80, blank=True, help_text="FIR, charge or court no.")
    verdict = models.CharField(max_length=10, choices=Verdict.choices, blank=True)
    custody_months = models.PositiveIntegerField(null=True, blank=True)
    fine = models.CharField(max_length=60, blank=True, help_text="Amount and currency")
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    withdrawn_at = models.DateTimeField(null=True, blank=True, editable=False)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_reason = models.CharField(max_length=300, blank=True)

    objects = JusticeEventQuerySet.as_manager()

    class Meta:
        ordering = ["suspect", "date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stage="verdict", verdict__gt="")
                | (~Q(stage="verdict") & Q(verdict="")),
                name="justice_verdict_only_on_verdicts",
            ),
            models.CheckConstraint(
                condition=~Q(stage__in=["charge", "verdict"]) | Q(provision__isnull=False),
                name="justice_charge_and_verdict_name_a_provision",
            ),
        ]
        indexes = [
            models.Index(fields=["case", "suspect", "date"], name="justice_case"),
            # The statistics: convictions by provision, in a period.
            models.Index(
                fields=["provision", "date"],
                condition=Q(stage="verdict", verdict="convicted", withdrawn_at__isnull=True),
                name="justice_convictions",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} on {self.date:%d %b %Y}"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class CaseShare(models.Model):
    """A case shared with an office or a partner, at a level, under a handling code.

    What it grants is its `CaseGrant` row, written with it and removed when it is revoked; an
    expired share's grant grants nothing from its expiry on, with no clean-up job.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="shares")
    office = models.ForeignKey(
        LinkOffice, null=True, blank=True, on_delete=models.PROTECT, related_name="case_shares"
    )
    partner = models.ForeignKey(
        PartnerOrganisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="case_shares",
    )
    level = models.PositiveSmallIntegerField(choices=ShareLevel.choices)
    handling_code = models.CharField(max_length=2, choices=HandlingCode.choices)
    handling_conditions = models.TextField(blank=True, help_text="Required for H3")
    expires_at = models.DateTimeField(null=True, blank=True)
    passed_on_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="passed_on",
        help_text="The share through which the sharer saw the case, when re-shared.",
    )
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = CaseShareQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(office__isnull=False, partner__isnull=True)
                    | Q(office__isnull=True, partner__isnull=False)
                ),
                name="share_office_xor_partner",
            ),
            # One live share per recipient and sharer: the lead office's (no source), and one
            # per share it was passed on from. Each sharer manages its own, and learns nothing
            # of the shares others made to the same recipient.
            models.UniqueConstraint(
                fields=["case", "office"],
                condition=Q(revoked_at__isnull=True, office__isnull=False)
                & Q(passed_on_from__isnull=True),
                name="share_one_live_per_office",
            ),
            models.UniqueConstraint(
                fields=["case", "partner"],
                condition=Q(revoked_at__isnull=True, partner__isnull=False)
                & Q(passed_on_from__isnull=True),
                name="share_one_live_per_partner",
            ),
            models.UniqueConstraint(
                fields=["case", "office", "passed_on_from"],
                condition=Q(revoked_at__isnull=True, office__isnull=False)
                & Q(passed_on_from__isnull=False),
                name="share_one_live_passed_on_per_office",
            ),
            models.UniqueConstraint(
                fields=["case", "partner", "passed_on_from"],
                condition=Q(revoked_at__isnull=True, partner__isnull=False)
                & Q(passed_on_from__isnull=False),
                name="share_one_live_passed_on_per_partner",
            ),
        ]
        # Reads go through the grants; these serve the benchmark's bare baseline view
        # (bench/views.py), which reads the shares directly.
        indexes = [
            models.Index(
                fields=["office", "case"],
                condition=Q(revoked_at__isnull=True),
                name="share_live_office",
            ),
            models.Index(
                fields=["partner", "case"],
                condition=Q(revoked_at__isnull=True),
                name="share_live_partner",
            ),
        ]

    def __str__(self) -> str:
        level = self.get_level_display()
        return f"{self.case.reference} → {self.recipient} ({level}, {self.handling_code})"

    @property
    def recipient(self) -> LinkOffice | PartnerOrganisation:
        return self.office or self.partner


class CaseGrant(models.Model):
    """Who may read a case, and how: the one table every access rule reads (docs/architecture.md).

    One row for the lead office (`is_lead`, level LEAD_OFFICE, no handling code) and one per
    unrevoked share (its recipient, level, handling code and conditions, expiry). Rows are
    written only by `cases.grants.sync_case_grants`, which the services that open a case,
    change its lead office, share, revoke and reconcile passed-on shares call in their own
    transaction. Expiry is compared when the rows are read: an expired grant needs no clean-up.
    `manage.py check_grants` recomputes the rows from cases and shares and reports any drift.
    """

    # Indexed by `grant_case_recipient`, not a plain index of its own.
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="grants", db_index=False)
    office = models.ForeignKey(
        LinkOffice, null=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    partner = models.ForeignKey(
        PartnerOrganisation, null=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    share = models.OneToOneField(
        CaseShare, null=True, on_delete=models.CASCADE, related_name="grant"
    )
    is_lead = models.BooleanField(default=False)
    level = models.PositiveSmallIntegerField(choices=AccessLevel.choices)
    handling_code = models.CharField(max_length=2, choices=HandlingCode.choices, blank=True)
    handling_conditions = models.TextField(blank=True)
    expires_at = models.DateTimeField(null=True)
    # The case's `updated_at`, copied so that a list "newest first" walks the user's own grants
    # in index order instead of every case in the database (docs/performance.md#query-shape).
    # Written with the grant and by `cases.grants.touch_case_grants` whenever the case changes.
    case_updated_at = models.DateTimeField()

    objects = CaseGrantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(office__isnull=False, partner__isnull=True)
                    | Q(office__isnull=True, partner__isnull=False)
                ),
                name="grant_office_xor_partner",
            ),
            models.CheckConstraint(
                condition=(
                    Q(is_lead=True, share__isnull=True, office__isnull=False)
                    | Q(is_lead=False, share__isnull=False)
                ),
                name="grant_lead_or_share",
            ),
            models.UniqueConstraint(
                fields=["case"], condition=Q(is_lead=True), name="grant_one_lead_per_case"
            ),
        ]
        # The probes of every rule: "a live grant of this case to my desks or organisation"
        # (by case, a case's few rows), and "the cases granted to my desks, newest first" (by
        # recipient, in the order of the lists). The columns the rules test follow as keys, so
        # that both are answered from the index (as keys rather than INCLUDE columns, which
        # SQLite, the demo's database, lacks).
        indexes = [
            models.Index(
                fields=["office", "-case_updated_at", "-case", "expires_at", "level", "is_lead"],
                condition=Q(office__isnull=False),
                name="grant_office_newest",
            ),
            models.Index(
                fields=["partner", "-case_updated_at", "-case", "expires_at", "level", "is_lead"],
                condition=Q(partner__isnull=False),
                name="grant_partner_newest",
            ),
            models.Index(
                fields=["case", "office", "partner", "expires_at", "level", "is_lead"],
                name="grant_case_recipient",
            ),
        ]

    def __str__(self) -> str:
        recipient = f"office {self.office_id}" if self.office_id else f"partner {self.partner_id}"
        return f"case {self.case_id} → {recipient} ({self.level}, {self.handling_code or 'lead'})"


class ExportRecord(models.Model):
    """One export of a list (`cases.exports`): who, what, with which filters, how many rows.

    Written when the export starts; `rows` and `finished_at` when its last row is sent (an
    export abandoned half-way keeps them empty).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    what = models.CharField(max_length=20)
    file_format = models.CharField(max_length=4)
    filters = models.JSONField(default=dict, blank=True)
    rows = models.PositiveIntegerField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return (
            f"{self.what} ({self.file_format}) by {self.user} at {self.started_at:%Y-%m-%d %H:%M}"
        )


class CaseFlag(models.Model):
    """A flag on a case with a reason and an optional date ("court hearing", "visa expires"):
    shown on the list and the case page to the lead office and HQ, and reminded before its
    date (`cases.reminders`). Cleared, never deleted."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="flags")
    reason = models.CharField(max_length=200)
    due_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = [models.F("due_on").asc(nulls_last=True), "id"]
        indexes = [
            models.Index(
                fields=["case", "due_on"], condition=Q(cleared_at__isnull=True), name="flag_case"
            ),
            # The reminder sweep and the due page: live flags by date.
            models.Index(
                fields=["due_on"],
                condition=Q(cleared_at__isnull=True, due_on__isnull=False),
                name="flag_due",
            ),
        ]

    def __str__(self) -> str:
        when = f" ({self.due_on:%d %b %Y})" if self.due_on else ""
        return f"{self.reason}{when}"

    def get_absolute_url(self) -> str:
        return self.case.get_absolute_url() + "#flags"

    @property
    def notification_label(self) -> str:
        return self.case.reference

    @property
    def is_overdue(self) -> bool:
        return self.due_on is not None and self.due_on < timezone.localdate()


class HandOver(models.Model):
    """A request to hand the lead of a case from its lead office to another office.

    Pending until the receiving office (or HQ) accepts or declines it, or the sending office
    withdraws it; on acceptance the lead office changes (`cases.services.casework`), the grants
    follow, and the former lead office keeps the share it chose when asking (`keep_level`,
    none when blank). The case reference never changes.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="hand_overs")
    from_office = models.ForeignKey(LinkOffice, on_delete=models.PROTECT, related_name="+")
    to_office = models.ForeignKey(LinkOffice, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=10, choices=HandOverStatus.choices, default=HandOverStatus.PENDING
    )
    note = models.TextField(blank=True, help_text="Why the case belongs with the other office")
    keep_level = models.PositiveSmallIntegerField(
        choices=ShareLevel.choices,
        null=True,
        blank=True,
        help_text="The share the sending office keeps once accepted; blank: none.",
    )
    keep_handling_code = models.CharField(
        max_length=2, choices=HandlingCode.choices, default=HandlingCode.H0
    )
    decline_reason = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = HandOverQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(status="pending"),
                name="handover_one_pending_per_case",
            ),
            models.CheckConstraint(
                condition=~Q(from_office=models.F("to_office")), name="handover_other_office"
            ),
        ]
        indexes = [
            models.Index(fields=["to_office", "status"], name="handover_to_office"),
            models.Index(fields=["from_office", "status"], name="handover_from_office"),
        ]

    def __str__(self) -> str:
        return f"{self.case.reference}: {self.from_office.code} → {self.to_office.code}"

    def get_absolute_url(self) -> str:
        return reverse("cases:handovers") + f"#handover-{self.pk}"

    @property
    def notification_label(self) -> str:
        return self.case.reference

    @property
    def is_pending(self) -> bool:
        return self.status == HandOverStatus.PENDING


class CooperationRequest(models.Model):
    """A request from an office to another office or a partner for help on a case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="requests")
    from_office = models.ForeignKey(
        LinkOffice, on_delete=models.PROTECT, related_name="requests_sent"
    )
    to_office = models.ForeignKey(
        LinkOffice,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests_received",
    )
    to_partner = models.ForeignKey(
        PartnerOrganisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests_received",
    )
    kind = models.CharField(max_length=24, choices=RequestKind.choices)
    urgency = models.CharField(max_length=8, choices=Urgency.choices, default=Urgency.NORMAL)
    question = models.TextField()
    due_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=RequestStatus.choices, default="open")
    answer = models.TextField(blank=True)
    # The answer's grade (Europol's 4x4); blank on answers given before answers were graded.
    answer_reliability = models.CharField(
        max_length=1, choices=SourceReliability.choices, blank=True
    )
    answer_accuracy = models.PositiveSmallIntegerField(
        choices=InformationAccuracy.choices, null=True, blank=True
    )
    late_reason = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_reminded_at = models.DateTimeField(null=True, blank=True)

    objects = CooperationRequestQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(to_office__isnull=False, to_partner__isnull=True)
                    | Q(to_office__isnull=True, to_partner__isnull=False)
                ),
                name="request_to_office_xor_partner",
            )
        ]
        indexes = [
            models.Index(fields=["to_office", "status", "due_at"], name="request_to_office"),
            models.Index(fields=["to_partner", "status", "due_at"], name="request_to_partner"),
            models.Index(fields=["from_office", "status", "due_at"], name="request_from_office"),
            # The reminder sweep: open requests by due time (healthchecks' partial index).
            models.Index(fields=["due_at"], condition=Q(status="open"), name="request_open_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.case.reference} → {self.recipient}"

    def get_absolute_url(self) -> str:
        return reverse("cases:request", kwargs={"pk": self.pk})

    @property
    def recipient(self) -> LinkOffice | PartnerOrganisation:
        return self.to_office or self.to_partner

    @property
    def is_overdue(self) -> bool:
        return self.status == RequestStatus.OPEN and self.due_at < timezone.now()

    @property
    def answer_grade(self) -> str:
        """The answer's `B2`, or "" (unanswered, or answered before answers were graded)."""
        return grade_code(self.answer_reliability, self.answer_accuracy)

    @property
    def answer_grade_meaning(self) -> str:
        return grade_meaning(self.answer_reliability, self.answer_accuracy)


class Message(models.Model):
    """A message on a case (or on one of its requests), graded for reliability and accuracy."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    request = models.ForeignKey(
        CooperationRequest,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_office = models.ForeignKey(
        LinkOffice, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    author_partner = models.ForeignKey(
        PartnerOrganisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField()
    reliability = models.CharField(
        max_length=1, choices=SourceReliability.choices, default=SourceReliability.X
    )
    accuracy = models.PositiveSmallIntegerField(
        choices=InformationAccuracy.choices, default=InformationAccuracy.NOT_CORROBORATED
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"], name="message_case_time")]

    def __str__(self) -> str:
        return f"Message on {self.case_id} by {self.author}"

    def get_absolute_url(self) -> str:
        return f"{self.case.get_absolute_url()}#message-{self.pk}"

    @property
    def grade(self) -> str:
        """`B2`: Europol's 4x4 evaluation (docs/investigation.md#grading)."""
        return grade_code(self.reliability, self.accuracy)

    @property
    def grade_meaning(self) -> str:
        return grade_meaning(self.reliability, self.accuracy)


class TimelineEvent(models.Model):
    """One line of a case's history: created, edited (what changed), shared, status…"""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=20, choices=TimelineKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.CharField(max_length=300)
    changes = models.JSONField(default=dict, blank=True)
    # The case version this entry produced (edits, status changes, route/suspect changes), so a
    # refused stale edit can say exactly who changed what since the editor's version.
    version = models.PositiveIntegerField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["case", "-created_at"], name="timeline_case_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.summary}"
