"""Choices for offices, partners and memberships."""

from __future__ import annotations

from django.db import models

HQ_CODE = "HQ"
VIEW_CASES = "view_office_cases"
CHANGE_CASES = "change_office_cases"
OFFICE_PERMISSIONS = (VIEW_CASES, CHANGE_CASES)


class OfficeStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    CLOSED = "closed", "Closed"


class PartnerKind(models.TextChoices):
    EMBASSY = "embassy", "Embassy / high commission"
    LAW_ENFORCEMENT = "law_enforcement", "Law-enforcement agency"
    INTERNATIONAL = "international", "International organisation"
    SERVICE_PROVIDER = "service_provider", "NGO / service provider"


class Role(models.TextChoices):
    OFFICER = "officer", "Liaison officer"
    OFFICE_LEAD = "office_lead", "Office lead"
    FOCAL_POINT = "focal_point", "Focal point"
    CASEWORKER = "caseworker", "Caseworker"
    HQ_ADMIN = "hq_admin", "HQ admin"


# Roles that belong to an office, and roles that belong to a partner organisation.
OFFICE_ROLES = {Role.OFFICER, Role.OFFICE_LEAD, Role.HQ_ADMIN}
PARTNER_ROLES = {Role.FOCAL_POINT, Role.CASEWORKER}


class Service(models.TextChoices):
    """Services a partner organisation provides to victims (the referral targets)."""

    SHELTER = "shelter", "Shelter"
    MEDICAL = "medical", "Medical care"
    PSYCHOSOCIAL = "psychosocial", "Psychosocial support"
    LEGAL_AID = "legal_aid", "Legal aid"
    RETURN = "return", "Return / repatriation"
    REINTEGRATION = "reintegration", "Reintegration"
    LIVELIHOOD = "livelihood", "Livelihood"
    FAMILY_TRACING = "family_tracing", "Family tracing"
    EDUCATION = "education", "Education"


class EventKind(models.TextChoices):
    """What happened, for notifications. Payloads never carry a victim's personal data."""

    CASE_SHARED = "case_shared", "Case shared with you"
    SHARE_REVOKED = "share_revoked", "Case share revoked"
    CASE_STATUS_CHANGED = "case_status_changed", "Case status changed"
    CASE_MESSAGE = "case_message", "New message on a case"
    CASE_ASSIGNED = "case_assigned", "Case assigned to you"
    CASE_UNASSIGNED = "case_unassigned", "Case no longer assigned to you"
    CASE_FLAG_DUE = "case_flag_due", "A case flag's date is near"
    HANDOVER_REQUESTED = "handover_requested", "Hand-over of a case offered to your office"
    HANDOVER_ACCEPTED = "handover_accepted", "Hand-over accepted"
    HANDOVER_DECLINED = "handover_declined", "Hand-over declined"
    HANDOVER_WITHDRAWN = "handover_withdrawn", "Hand-over withdrawn"
    REQUEST_RECEIVED = "request_received", "Cooperation request received"
    REQUEST_ANSWERED = "request_answered", "Cooperation request answered"
    REQUEST_DUE_SOON = "request_due_soon", "Cooperation request due soon"
    REQUEST_OVERDUE = "request_overdue", "Cooperation request overdue"
    REFERRAL_SENT = "referral_sent", "Referral received"
    REFERRAL_ACCEPTED = "referral_accepted", "Referral accepted"
    REFERRAL_DECLINED = "referral_declined", "Referral declined"
    REFERRAL_PROGRESS = "referral_progress", "Referral progress reported"
    REFERRAL_COMPLETED = "referral_completed", "Referral completed"
    REFERRAL_REVOKED = "referral_revoked", "Referral revoked"
    REFERRAL_UNANSWERED = "referral_unanswered", "Referral still unanswered"
    REFERRAL_PAUSED = "referral_paused", "Referral paused: the victim withdrew consent"
    REFERRAL_RESUMED = "referral_resumed", "Referral resumed"
    SHARING_CONSENT_WITHDRAWN = (
        "sharing_consent_withdrawn",
        "A victim withdrew consent to share their data with you",
    )
    FOLLOWUP_DUE = "followup_due", "Reintegration follow-up due"
    FILE_ADDED = "file_added", "New file on a record"
    FILE_QUARANTINED = "file_quarantined", "File quarantined: malware found"
    PAKISTANI_VICTIM_IDENTIFIED = (
        "pakistani_victim_identified",
        "Pakistani national identified as a victim",
    )


class Channel(models.TextChoices):
    """How a notification reaches someone."""

    IN_APP = "in_app", "In-app inbox"
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Partner webhook"


class NotificationMode(models.TextChoices):
    """A user's choice per channel: at once, once a day in a digest, or not at all."""

    IMMEDIATE = "immediate", "Immediately"
    DAILY_DIGEST = "daily_digest", "Daily digest"
    OFF = "off", "Off"


# What a user gets when they have not chosen (NotificationPreference rows hold only choices).
DEFAULT_NOTIFICATION_MODES = {
    Channel.IN_APP: NotificationMode.IMMEDIATE,
    Channel.EMAIL: NotificationMode.IMMEDIATE,
}


class EventStatus(models.TextChoices):
    """Where an outbox row stands: waiting for the worker, fanned out, or every delivery final."""

    PENDING = "pending", "Pending"
    PLANNED = "planned", "Recipients resolved"
    DONE = "done", "Delivered"
    FAILED = "failed", "Failed"


class DeliveryStatus(models.TextChoices):
    """One delivery's state; `claimed` is held by exactly one worker (conditional UPDATE)."""

    PENDING = "pending", "Pending"
    CLAIMED = "claimed", "Being delivered"
    DIGEST = "digest", "Held for the daily digest"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


# Deliveries that still need a worker; anything else is final.
OPEN_DELIVERY_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.CLAIMED)
