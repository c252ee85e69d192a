"""Choices for offices, partners and memberships."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

HQ_CODE = "HQ"
VIEW_CASES = "view_office_cases"
CHANGE_CASES = "change_office_cases"
OFFICE_PERMISSIONS = (VIEW_CASES, CHANGE_CASES)


class OfficeStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")


class PartnerKind(models.TextChoices):
    EMBASSY = "embassy", _("Embassy / high commission")
    LAW_ENFORCEMENT = "law_enforcement", _("Law-enforcement agency")
    INTERNATIONAL = "international", _("International organisation")
    SERVICE_PROVIDER = "service_provider", _("NGO / service provider")


class Role(models.TextChoices):
    OFFICER = "officer", _("Liaison officer")
    OFFICE_LEAD = "office_lead", _("Office lead")
    FOCAL_POINT = "focal_point", _("Focal point")
    CASEWORKER = "caseworker", _("Caseworker")
    HQ_ADMIN = "hq_admin", _("HQ admin")


# Roles that belong to an office, and roles that belong to a partner organisation.
OFFICE_ROLES = {Role.OFFICER, Role.OFFICE_LEAD, Role.HQ_ADMIN}
PARTNER_ROLES = {Role.FOCAL_POINT, Role.CASEWORKER}


class Service(models.TextChoices):
    """Services a partner organisation provides to victims (the referral targets)."""

    SHELTER = "shelter", _("Shelter")
    MEDICAL = "medical", _("Medical care")
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial support")
    LEGAL_AID = "legal_aid", _("Legal aid")
    RETURN = "return", _("Return / repatriation")
    REINTEGRATION = "reintegration", _("Reintegration")
    LIVELIHOOD = "livelihood", _("Livelihood")
    FAMILY_TRACING = "family_tracing", _("Family tracing")
    EDUCATION = "education", _("Education")


class EventKind(models.TextChoices):
    """What happened, for notifications. Payloads never carry a victim's personal data."""

    CASE_SHARED = "case_shared", _("Case shared with you")
    SHARE_REVOKED = "share_revoked", _("Case share revoked")
    CASE_STATUS_CHANGED = "case_status_changed", _("Case status changed")
    CASE_MESSAGE = "case_message", _("New message on a case")
    CASE_ASSIGNED = "case_assigned", _("Case assigned to you")
    CASE_UNASSIGNED = "case_unassigned", _("Case no longer assigned to you")
    CASE_FLAG_DUE = "case_flag_due", _("A case flag's date is near")
    HANDOVER_REQUESTED = "handover_requested", _("Hand-over of a case offered to your office")
    HANDOVER_ACCEPTED = "handover_accepted", _("Hand-over accepted")
    HANDOVER_DECLINED = "handover_declined", _("Hand-over declined")
    HANDOVER_WITHDRAWN = "handover_withdrawn", _("Hand-over withdrawn")
    REQUEST_RECEIVED = "request_received", _("Cooperation request received")
    REQUEST_ANSWERED = "request_answered", _("Cooperation request answered")
    REQUEST_DUE_SOON = "request_due_soon", _("Cooperation request due soon")
    REQUEST_OVERDUE = "request_overdue", _("Cooperation request overdue")
    REFERRAL_SENT = "referral_sent", _("Referral received")
    REFERRAL_ACCEPTED = "referral_accepted", _("Referral accepted")
    REFERRAL_DECLINED = "referral_declined", _("Referral declined")
    REFERRAL_PROGRESS = "referral_progress", _("Referral progress reported")
    REFERRAL_COMPLETED = "referral_completed", _("Referral completed")
    REFERRAL_REVOKED = "referral_revoked", _("Referral revoked")
    REFERRAL_UNANSWERED = "referral_unanswered", _("Referral still unanswered")
    REFERRAL_PAUSED = "referral_paused", _("Referral paused: the victim withdrew consent")
    REFERRAL_RESUMED = "referral_resumed", _("Referral resumed")
    SHARING_CONSENT_WITHDRAWN = (
        "sharing_consent_withdrawn",
        _("A victim withdrew consent to share their data with you"),
    )
    FOLLOWUP_DUE = "followup_due", _("Reintegration follow-up due")
    FILE_ADDED = "file_added", _("New file on a record")
    FILE_QUARANTINED = "file_quarantined", _("File quarantined: malware found")
    PAKISTANI_VICTIM_IDENTIFIED = (
        "pakistani_victim_identified",
        _("Pakistani national identified as a victim"),
    )


class Channel(models.TextChoices):
    """How a notification reaches someone."""

    IN_APP = "in_app", _("In-app inbox")
    EMAIL = "email", _("Email")
    WEBHOOK = "webhook", _("Partner webhook")


class NotificationMode(models.TextChoices):
    """A user's choice per channel: at once, once a day in a digest, or not at all."""

    IMMEDIATE = "immediate", _("Immediately")
    DAILY_DIGEST = "daily_digest", _("Daily digest")
    OFF = "off", _("Off")


# What a user gets when they have not chosen (NotificationPreference rows hold only choices).
DEFAULT_NOTIFICATION_MODES = {
    Channel.IN_APP: NotificationMode.IMMEDIATE,
    Channel.EMAIL: NotificationMode.IMMEDIATE,
}


class EventStatus(models.TextChoices):
    """Where an outbox row stands: waiting for the worker, fanned out, or every delivery final."""

    PENDING = "pending", _("Pending")
    PLANNED = "planned", _("Recipients resolved")
    DONE = "done", _("Delivered")
    FAILED = "failed", _("Failed")


class DeliveryStatus(models.TextChoices):
    """One delivery's state; `claimed` is held by exactly one worker (conditional UPDATE)."""

    PENDING = "pending", _("Pending")
    CLAIMED = "claimed", _("Being delivered")
    DIGEST = "digest", _("Held for the daily digest")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


# Deliveries that still need a worker; anything else is final.
OPEN_DELIVERY_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.CLAIMED)
