"""Choices, transition tables and the service → personal-data table for victims and referrals."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from liaison_offices.constants import Service


class IdentificationStatus(models.TextChoices):
    POSSIBLE = "possible", _("Possible victim")
    ACTUAL = "actual", _("Actual victim")
    NOT_A_VICTIM = "not_a_victim", _("Not a victim")


class IdentifiedBy(models.TextChoices):
    """Who decided the identification status."""

    POLICE = "police", _("Police / law enforcement")
    NGO = "ngo", _("NGO")
    COURT = "court", _("Court")
    OTHER = "other", _("Other")


class MigrationStatus(models.TextChoices):
    REGULAR = "regular", _("Regular")
    IRREGULAR = "irregular", _("Irregular")
    ASYLUM_SEEKER = "asylum_seeker", _("Asylum seeker")
    REFUGEE = "refugee", _("Refugee")
    STATELESS = "stateless", _("Stateless")
    RETURNED = "returned", _("Returned to country of origin")
    UNKNOWN = "unknown", _("Unknown")


class Vulnerability(models.TextChoices):
    UNACCOMPANIED_CHILD = "unaccompanied_child", _("Unaccompanied child")
    DISABILITY = "disability", _("Disability")
    PREGNANCY = "pregnancy", _("Pregnancy")
    SERIOUS_ILLNESS = "serious_illness", _("Serious illness")
    MENTAL_HEALTH = "mental_health", _("Mental health condition")
    SUBSTANCE_DEPENDENCE = "substance_dependence", _("Substance dependence")
    DEBT = "debt", _("Debt")
    NO_DOCUMENTS = "no_documents", _("No identity documents")
    HOMELESSNESS = "homelessness", _("Homelessness")
    OTHER = "other", _("Other")


class ConsentPurpose(models.TextChoices):
    DATA_PROCESSING = "data_processing", _("Processing of personal data")
    REFERRAL = "referral", _("Referral to a named organisation for a named service")
    SHARING = "sharing", _("Sharing with a named organisation")
    STATISTICS = "statistics", _("Use in statistics")


class LawfulBasis(models.TextChoices):
    """Why personal data may be held without the victim's consent to its processing."""

    LEGAL_OBLIGATION = (
        "legal_obligation",
        _("Legal obligation: a criminal investigation or proceedings need it"),
    )
    VITAL_INTERESTS = (
        "vital_interests",
        _("Vital interests: to protect the person's life or safety"),
    )
    PUBLIC_TASK = "public_task", _("Public task: FIA's statutory duty towards victims")
    # Set by the migration on records that held personal data before the rule existed; never
    # chosen on a form. HQ reviews them (the admin lists victims by lawful basis).
    HELD_BEFORE_RULE = (
        "held_before_rule",
        _("Held before a basis was required (to be reviewed)"),
    )


# The bases an officer may record; HELD_BEFORE_RULE only comes from the migration.
RECORDABLE_LAWFUL_BASES = [
    (value, label) for value, label in LawfulBasis.choices if value != LawfulBasis.HELD_BEFORE_RULE
]


class ReferralStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    CLOSED = "closed", _("Closed")
    REVOKED = "revoked", _("Revoked")


# The only status changes allowed. Declined, completed, closed and revoked are final; the
# referring office may revoke until the referral is completed (or otherwise ended).
REFERRAL_TRANSITIONS: dict[str, frozenset[str]] = {
    ReferralStatus.PENDING: frozenset(
        {ReferralStatus.ACCEPTED, ReferralStatus.DECLINED, ReferralStatus.REVOKED}
    ),
    ReferralStatus.ACCEPTED: frozenset(
        {ReferralStatus.IN_PROGRESS, ReferralStatus.CLOSED, ReferralStatus.REVOKED}
    ),
    ReferralStatus.IN_PROGRESS: frozenset(
        {
            ReferralStatus.IN_PROGRESS,  # a further progress report
            ReferralStatus.COMPLETED,
            ReferralStatus.CLOSED,
            ReferralStatus.REVOKED,
        }
    ),
    ReferralStatus.DECLINED: frozenset(),
    ReferralStatus.COMPLETED: frozenset(),
    ReferralStatus.CLOSED: frozenset(),
    ReferralStatus.REVOKED: frozenset(),
}
OPEN_REFERRAL_STATUSES = frozenset(
    {ReferralStatus.PENDING, ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS}
)
# While the provider works the referral it sees what the service needs; before it accepts and
# after the work ends it sees the code only.
WORKING_REFERRAL_STATUSES = frozenset({ReferralStatus.ACCEPTED, ReferralStatus.IN_PROGRESS})


class UpdateKind(models.TextChoices):
    STATUS = "status", _("Status change")
    NOTE = "note", _("Note")
    CONSENT_OVERRIDE = "consent_override", _("Sent without consent (override)")
    PAUSED = "paused", _("Paused: consent withdrawn")
    RESUMED = "resumed", _("Resumed")


class RevealPurpose(models.TextChoices):
    """Why someone looks at a victim's personal data: asked before every reveal on a page and
    kept on the access record with the person's own words
    (docs/authentication.md#step-up-before-a-reveal)."""

    CASE_WORK = "case_work", _("Working the case (investigation, prosecution)")
    REFERRAL = "referral", _("Arranging or following up a referral")
    CONTACT = "contact", _("Contacting the victim, their family or lawyer")
    RETURN = "return", _("Return, travel documents or repatriation")
    DUPLICATE = "duplicate", _("Checking a possible duplicate record")
    CORRECTION = "correction", _("Correcting the record")
    OVERSIGHT = "oversight", _("HQ oversight or audit")
    OTHER = "other", _("Other")


class AccessDoor(models.TextChoices):
    """Through which door personal data was shown."""

    PAGE = "page", _("Page")
    API = "api", _("API")
    ADMIN = "admin", _("Admin")
    EXPORT = "export", _("Export")


class PersonalField(models.TextChoices):
    """The encrypted fields of a victim (everything else is non-identifying)."""

    FULL_NAME = "full_name", _("Full name")
    DATE_OF_BIRTH = "date_of_birth", _("Date of birth")
    PASSPORT_NUMBER = "passport_number", _("Passport number")
    CNIC_NUMBER = "cnic_number", _("CNIC number")
    PHONE = "phone", _("Phone")
    ADDRESS = "address", _("Address")


ALL_PERSONAL_FIELDS: tuple[str, ...] = tuple(PersonalField.values)

# What a service provider sees while it works a referral: only what the service needs.
# Shelter and medical care need to reach the person and know their age; return needs travel
# documents and the home address; reintegration and family tracing work at the home address;
# every other service works with the person in front of it and needs the name only.
SERVICE_FIELDS: dict[str, frozenset[str]] = {
    Service.SHELTER: frozenset({"full_name", "date_of_birth", "phone"}),
    Service.MEDICAL: frozenset({"full_name", "date_of_birth", "phone"}),
    Service.RETURN: frozenset(ALL_PERSONAL_FIELDS),
    Service.REINTEGRATION: frozenset({"full_name", "phone", "address"}),
    Service.FAMILY_TRACING: frozenset({"full_name", "date_of_birth", "address"}),
    Service.PSYCHOSOCIAL: frozenset({"full_name"}),
    Service.LEGAL_AID: frozenset({"full_name"}),
    Service.LIVELIHOOD: frozenset({"full_name"}),
    Service.EDUCATION: frozenset({"full_name"}),
}

# Reminders: a pending referral unanswered for this many days is chased, then again every
# interval while it stays unanswered; a follow-up is chased once, on its due date.
REFERRAL_UNANSWERED_DAYS = 5
REMINDER_INTERVAL_DAYS = 3
