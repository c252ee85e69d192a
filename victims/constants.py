"""Choices, transition tables and the service → personal-data table for victims and referrals."""

from __future__ import annotations

from django.db import models

from liaison_offices.constants import Service


class IdentificationStatus(models.TextChoices):
    POSSIBLE = "possible", "Possible victim"
    ACTUAL = "actual", "Actual victim"
    NOT_A_VICTIM = "not_a_victim", "Not a victim"


class IdentifiedBy(models.TextChoices):
    """Who decided the identification status."""

    POLICE = "police", "Police / law enforcement"
    NGO = "ngo", "NGO"
    COURT = "court", "Court"
    OTHER = "other", "Other"


class MigrationStatus(models.TextChoices):
    REGULAR = "regular", "Regular"
    IRREGULAR = "irregular", "Irregular"
    ASYLUM_SEEKER = "asylum_seeker", "Asylum seeker"
    REFUGEE = "refugee", "Refugee"
    STATELESS = "stateless", "Stateless"
    RETURNED = "returned", "Returned to country of origin"
    UNKNOWN = "unknown", "Unknown"


class Vulnerability(models.TextChoices):
    UNACCOMPANIED_CHILD = "unaccompanied_child", "Unaccompanied child"
    DISABILITY = "disability", "Disability"
    PREGNANCY = "pregnancy", "Pregnancy"
    SERIOUS_ILLNESS = "serious_illness", "Serious illness"
    MENTAL_HEALTH = "mental_health", "Mental health condition"
    SUBSTANCE_DEPENDENCE = "substance_dependence", "Substance dependence"
    DEBT = "debt", "Debt"
    NO_DOCUMENTS = "no_documents", "No identity documents"
    HOMELESSNESS = "homelessness", "Homelessness"
    OTHER = "other", "Other"


class ConsentPurpose(models.TextChoices):
    DATA_PROCESSING = "data_processing", "Processing of personal data"
    REFERRAL = "referral", "Referral to a named organisation for a named service"
    SHARING = "sharing", "Sharing with a named organisation"
    STATISTICS = "statistics", "Use in statistics"


class LawfulBasis(models.TextChoices):
    """Why personal data may be held without the victim's consent to its processing."""

    LEGAL_OBLIGATION = (
        "legal_obligation",
        "Legal obligation: a criminal investigation or proceedings need it",
    )
    VITAL_INTERESTS = "vital_interests", "Vital interests: to protect the person's life or safety"
    PUBLIC_TASK = "public_task", "Public task: FIA's statutory duty towards victims"
    # Set by the migration on records that held personal data before the rule existed; never
    # chosen on a form. HQ reviews them (the admin lists victims by lawful basis).
    HELD_BEFORE_RULE = (
        "held_before_rule",
        "Held before a basis was required (to be reviewed)",
    )


# The bases an officer may record; HELD_BEFORE_RULE only comes from the migration.
RECORDABLE_LAWFUL_BASES = [
    (value, label) for value, label in LawfulBasis.choices if value != LawfulBasis.HELD_BEFORE_RULE
]


class ReferralStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    CLOSED = "closed", "Closed"
    REVOKED = "revoked", "Revoked"


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
    STATUS = "status", "Status change"
    NOTE = "note", "Note"
    CONSENT_OVERRIDE = "consent_override", "Sent without consent (override)"
    PAUSED = "paused", "Paused: consent withdrawn"
    RESUMED = "resumed", "Resumed"


class RevealPurpose(models.TextChoices):
    """Why someone looks at a victim's personal data: asked before every reveal on a page and
    kept on the access record with the person's own words
    (docs/authentication.md#step-up-before-a-reveal)."""

    CASE_WORK = "case_work", "Working the case (investigation, prosecution)"
    REFERRAL = "referral", "Arranging or following up a referral"
    CONTACT = "contact", "Contacting the victim, their family or lawyer"
    RETURN = "return", "Return, travel documents or repatriation"
    DUPLICATE = "duplicate", "Checking a possible duplicate record"
    CORRECTION = "correction", "Correcting the record"
    OVERSIGHT = "oversight", "HQ oversight or audit"
    OTHER = "other", "Other"


class AccessDoor(models.TextChoices):
    """Through which door personal data was shown."""

    PAGE = "page", "Page"
    API = "api", "API"
    ADMIN = "admin", "Admin"
    EXPORT = "export", "Export"


class PersonalField(models.TextChoices):
    """The encrypted fields of a victim (everything else is non-identifying)."""

    FULL_NAME = "full_name", "Full name"
    DATE_OF_BIRTH = "date_of_birth", "Date of birth"
    PASSPORT_NUMBER = "passport_number", "Passport number"
    CNIC_NUMBER = "cnic_number", "CNIC number"
    PHONE = "phone", "Phone"
    ADDRESS = "address", "Address"


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
