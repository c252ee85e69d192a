"""Choices and transition tables for cases, shares, cooperation requests and messages.

The exploitation taxonomy follows the Human Trafficking Case Data Standard (HTCDS); the age
bands are the CTDC's.
"""

from __future__ import annotations

import datetime as dt

from django.db import models


class CaseKind(models.TextChoices):
    TIP = "TIP", "Trafficking in persons"
    SOM = "SOM", "Smuggling of migrants"


class CaseStatus(models.TextChoices):
    REPORTED = "reported", "Reported"
    UNDER_INVESTIGATION = "under_investigation", "Under investigation"
    REFERRED_FOR_PROSECUTION = "referred_for_prosecution", "Referred for prosecution"
    IN_COURT = "in_court", "In court"
    CLOSED = "closed", "Closed"


# The only status changes allowed. Closing needs an outcome; closed → under investigation is
# a reopening and needs a reason.
CASE_TRANSITIONS: dict[str, frozenset[str]] = {
    CaseStatus.REPORTED: frozenset({CaseStatus.UNDER_INVESTIGATION, CaseStatus.CLOSED}),
    CaseStatus.UNDER_INVESTIGATION: frozenset(
        {CaseStatus.REFERRED_FOR_PROSECUTION, CaseStatus.CLOSED}
    ),
    CaseStatus.REFERRED_FOR_PROSECUTION: frozenset(
        {CaseStatus.IN_COURT, CaseStatus.UNDER_INVESTIGATION, CaseStatus.CLOSED}
    ),
    CaseStatus.IN_COURT: frozenset({CaseStatus.CLOSED}),
    CaseStatus.CLOSED: frozenset({CaseStatus.UNDER_INVESTIGATION}),
}
OPEN_STATUSES = frozenset(set(CaseStatus.values) - {CaseStatus.CLOSED})


class CaseOutcome(models.TextChoices):
    """Why a case was closed. "Transferred" is kept as a value but is a hand-over, not an
    outcome: the case went to an authority outside this system (a foreign police force or
    prosecutor). A case moving to another link office is a `HandOver`, not a closure; what a
    court decided is each suspect's verdict (`JusticeEvent`), docs/investigation.md."""

    CONVICTED = "convicted", "Convicted"
    ACQUITTED = "acquitted", "Acquitted"
    NO_FURTHER_ACTION = "no_further_action", "No further action"
    TRANSFERRED = "transferred", "Handed over to another jurisdiction (not a verdict)"


# The closing reasons that are a court's decision; a hand-over is not one.
VERDICT_OUTCOMES = frozenset({CaseOutcome.CONVICTED, CaseOutcome.ACQUITTED})


class JusticeStage(models.TextChoices):
    """What happened to one suspect in the justice system (`JusticeEvent`), in the order of a
    criminal case; a hand-over to another jurisdiction is a stage, never a verdict."""

    ARREST = "arrest", "Arrested"
    CHARGE = "charge", "Charged"
    PROSECUTION = "prosecution", "Prosecuted (sent for trial)"
    COURT = "court", "Before the court"
    VERDICT = "verdict", "Verdict"
    SENTENCE = "sentence", "Sentenced"
    HANDED_OVER = "handed_over", "Handed over to another jurisdiction"


# Which stages name a provision (what the suspect is charged with, convicted or acquitted of).
PROVISION_STAGES = frozenset({JusticeStage.CHARGE, JusticeStage.VERDICT})


class Verdict(models.TextChoices):
    CONVICTED = "convicted", "Convicted"
    ACQUITTED = "acquitted", "Acquitted"
    DISMISSED = "dismissed", "Charge dismissed or withdrawn"


class Exploitation(models.TextChoices):
    """Forms of exploitation (HTCDS), with the sexual exploitation sub-forms."""

    FORCED_LABOUR = "forced_labour", "Forced labour"
    DOMESTIC_SERVITUDE = "domestic_servitude", "Domestic servitude"
    SEXUAL_EXPLOITATION = "sexual_exploitation", "Sexual exploitation"
    SEXUAL_PROSTITUTION = "sexual_prostitution", "Sexual exploitation — prostitution"
    SEXUAL_PORNOGRAPHY = "sexual_pornography", "Sexual exploitation — pornography"
    SEXUAL_PRIVATE = "sexual_private", "Sexual exploitation — private sexual services"
    SEXUAL_REMOTE = "sexual_remote", "Sexual exploitation — remote interactive services"
    FORCED_MARRIAGE = "forced_marriage", "Forced marriage"
    FORCED_CRIMINALITY = "forced_criminality", "Forced criminality"
    FORCED_BEGGING = "forced_begging", "Forced begging"
    ORGAN_REMOVAL = "organ_removal", "Organ removal"
    OTHER = "other", "Other"


SEXUAL_FORMS = frozenset(
    {
        Exploitation.SEXUAL_EXPLOITATION,
        Exploitation.SEXUAL_PROSTITUTION,
        Exploitation.SEXUAL_PORNOGRAPHY,
        Exploitation.SEXUAL_PRIVATE,
        Exploitation.SEXUAL_REMOTE,
    }
)


class LabourSector(models.TextChoices):
    AGRICULTURE = "agriculture", "Agriculture"
    CONSTRUCTION = "construction", "Construction"
    DOMESTIC_WORK = "domestic_work", "Domestic work"
    MANUFACTURING = "manufacturing", "Manufacturing"
    HOSPITALITY = "hospitality", "Hospitality"
    FISHING = "fishing", "Fishing"
    BRICK_KILNS = "brick_kilns", "Brick kilns"
    RETAIL = "retail", "Retail"
    OTHER = "other", "Other"


class MeansOfControl(models.TextChoices):
    DEBT_BONDAGE = "debt_bondage", "Debt bondage"
    WITHHOLDS_DOCUMENTS = "withholds_documents", "Withholds documents"
    WITHHOLDS_WAGES = "withholds_wages", "Withholds wages"
    THREATS = "threats", "Threats"
    THREATS_TO_FAMILY = "threats_to_family", "Threats to family"
    PHYSICAL_ABUSE = "physical_abuse", "Physical abuse"
    SEXUAL_ABUSE = "sexual_abuse", "Sexual abuse"
    PSYCHOLOGICAL_ABUSE = "psychological_abuse", "Psychological abuse"
    FALSE_PROMISES = "false_promises", "False promises"
    RESTRICTS_MOVEMENT = "restricts_movement", "Restricts movement"
    ISOLATION = "isolation", "Isolation"
    SUBSTANCES = "substances", "Psychoactive substances"
    EXCESSIVE_HOURS = "excessive_hours", "Excessive working hours"
    OTHER = "other", "Other"


class RecruiterRelationship(models.TextChoices):
    INTIMATE_PARTNER = "intimate_partner", "Intimate partner"
    FAMILY = "family", "Family member"
    FRIEND = "friend", "Friend"
    ACQUAINTANCE = "acquaintance", "Other acquaintance"
    AGENT = "agent", "Recruitment agent / employer"
    STRANGER = "stranger", "Stranger"
    UNKNOWN = "unknown", "Unknown"


class RecruitmentMethod(models.TextChoices):
    """How the victim was recruited (HTCDS's recruitment)."""

    JOB_OFFER = "job_offer", "Offer of a job"
    STUDY_OFFER = "study_offer", "Offer of study"
    MIGRATION_OFFER = "migration_offer", "Offer of travel or migration"
    MARRIAGE_OFFER = "marriage_offer", "Offer of marriage or a relationship"
    SOLD_BY_FAMILY = "sold_by_family", "Sold or given away by family"
    DEBT = "debt", "Debt or a loan"
    ABDUCTION = "abduction", "Abduction"
    ONLINE_ADVERT = "online_advert", "Online advertisement"
    OTHER = "other", "Other"


class OnlinePlatform(models.TextChoices):
    """Online platforms used to recruit or exploit (HTCDS's use of technology)."""

    FACEBOOK = "facebook", "Facebook"
    INSTAGRAM = "instagram", "Instagram"
    WHATSAPP = "whatsapp", "WhatsApp"
    TELEGRAM = "telegram", "Telegram"
    TIKTOK = "tiktok", "TikTok"
    SNAPCHAT = "snapchat", "Snapchat"
    IMO = "imo", "IMO"
    VIBER = "viber", "Viber"
    SIGNAL = "signal", "Signal"
    YOUTUBE = "youtube", "YouTube"
    DATING_SITE = "dating_site", "Dating site or app"
    JOB_SITE = "job_site", "Job site or app"
    CLASSIFIEDS = "classifieds", "Classified-ads site"
    ADULT_SITE = "adult_site", "Adult services site"
    OTHER = "other", "Other"


class TraffickingAct(models.TextChoices):
    """The act element of trafficking (Palermo Protocol art. 3(a)), for screening."""

    RECRUITMENT = "recruitment", "Recruitment"
    TRANSPORTATION = "transportation", "Transportation"
    TRANSFER = "transfer", "Transfer"
    HARBOURING = "harbouring", "Harbouring"
    RECEIPT = "receipt", "Receipt"


class TraffickingMeans(models.TextChoices):
    """The means element (Palermo Protocol art. 3(a)); not needed for a child (art. 3(c))."""

    THREAT = "threat", "Threat of force"
    FORCE = "force", "Use of force"
    COERCION = "coercion", "Other coercion"
    ABDUCTION = "abduction", "Abduction"
    FRAUD = "fraud", "Fraud"
    DECEPTION = "deception", "Deception"
    ABUSE_OF_POWER = "abuse_of_power", "Abuse of power"
    ABUSE_OF_VULNERABILITY = "abuse_of_vulnerability", "Abuse of a position of vulnerability"
    PAYMENTS = "payments", "Payments or benefits to a person in control of the victim"


class RouteStage(models.TextChoices):
    RECRUITMENT = "recruitment", "Recruitment"
    TRANSIT = "transit", "Transit"
    EXPLOITATION = "exploitation", "Exploitation"


class TransportMode(models.TextChoices):
    AIR = "air", "Air"
    LAND = "land", "Land"
    SEA = "sea", "Sea"


class SuspectRole(models.TextChoices):
    RECRUITER = "recruiter", "Recruiter"
    TRANSPORTER = "transporter", "Transporter"
    SMUGGLER = "smuggler", "Smuggler"
    FACILITATOR = "facilitator", "Facilitator"
    EXPLOITER = "exploiter", "Exploiter"
    FINANCIER = "financier", "Financier"
    HARBOURER = "harbourer", "Harbourer"


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


class AgeBand(models.TextChoices):
    """The CTDC's age bands."""

    A0_8 = "0-8", "0–8"
    A9_17 = "9-17", "9–17"
    A18_20 = "18-20", "18–20"
    A21_23 = "21-23", "21–23"
    A24_26 = "24-26", "24–26"
    A27_29 = "27-29", "27–29"
    A30_38 = "30-38", "30–38"
    A39_47 = "39-47", "39–47"
    A48_PLUS = "48+", "48+"
    UNKNOWN = "unknown", "Unknown"


def age_band_for(age: int | None) -> str:
    """The CTDC age band of an age in whole years."""
    if age is None:
        return AgeBand.UNKNOWN
    for upper, band in (
        (8, AgeBand.A0_8),
        (17, AgeBand.A9_17),
        (20, AgeBand.A18_20),
        (23, AgeBand.A21_23),
        (26, AgeBand.A24_26),
        (29, AgeBand.A27_29),
        (38, AgeBand.A30_38),
        (47, AgeBand.A39_47),
    ):
        if age <= upper:
            return band
    return AgeBand.A48_PLUS


class ShareLevel(models.IntegerChoices):
    """How much of a case a share shows; ordered, so the highest active share wins."""

    SUMMARY = 1, "Summary"
    FULL = 2, "Full"
    FULL_WITH_VICTIMS = 3, "Full with victims"


class HandlingCode(models.TextChoices):
    """Ordered from the least to the most restrictive: where several live grants give a user
    the same level, the highest code binds them (`cases.access`)."""

    H0 = "H0", "H0 — crime prevention and investigation only"
    H1 = "H1", "H1 — not for judicial proceedings without the originator's consent"
    H2 = "H2", "H2 — no onward dissemination without the originator's consent"
    H3 = "H3", "H3 — other restrictions (stated)"


class AccessLevel(models.IntegerChoices):
    """How a user sees a case: the share levels, then the lead office and HQ, who see all."""

    SUMMARY = 1, "Summary"
    FULL = 2, "Full"
    FULL_WITH_VICTIMS = 3, "Full with victims"
    LEAD_OFFICE = 4, "Lead office"
    HQ = 5, "HQ"


class RequestKind(models.TextChoices):
    IDENTITY_CHECK = "identity_check", "Identity check"
    TRAVEL_HISTORY = "travel_history", "Travel history"
    WITNESS_STATEMENT = "witness_statement", "Witness statement"
    EVIDENCE = "evidence", "Evidence"
    MUTUAL_LEGAL_ASSISTANCE = "mutual_legal_assistance", "Mutual legal assistance"
    OTHER = "other", "Other"


class Urgency(models.TextChoices):
    URGENT = "urgent", "Urgent (8 hours)"
    NORMAL = "normal", "Normal (7 days)"
    LOW = "low", "Low (14 days)"


URGENCY_DUE = {
    Urgency.URGENT: dt.timedelta(hours=8),
    Urgency.NORMAL: dt.timedelta(days=7),
    Urgency.LOW: dt.timedelta(days=14),
}


class RequestStatus(models.TextChoices):
    OPEN = "open", "Open"
    ANSWERED = "answered", "Answered"
    CLOSED = "closed", "Closed"


REQUEST_TRANSITIONS: dict[str, frozenset[str]] = {
    RequestStatus.OPEN: frozenset({RequestStatus.ANSWERED, RequestStatus.CLOSED}),
    RequestStatus.ANSWERED: frozenset({RequestStatus.CLOSED}),
    RequestStatus.CLOSED: frozenset(),
}


class SourceReliability(models.TextChoices):
    """Europol's 4x4 evaluation, source side (docs/investigation.md#grading)."""

    A = "A", "A — no doubt of authenticity, trustworthiness and competence"
    B = "B", "B — in most instances proved reliable"
    C = "C", "C — in most instances proved unreliable"
    X = "X", "X — reliability cannot be assessed"


class InformationAccuracy(models.IntegerChoices):
    """Europol's 4x4 evaluation, information side (docs/investigation.md#grading)."""

    NO_DOUBT = 1, "1 — no doubt about its accuracy"
    KNOWN_TO_SOURCE = 2, "2 — known personally to the source, not to the official passing it on"
    CORROBORATED = 3, "3 — not known personally to the source, corroborated"
    NOT_CORROBORATED = 4, "4 — not known personally to the source, cannot be corroborated"


# The full definitions, as the hover text of a grade ("B2") and the case file's key read them.
RELIABILITY_MEANING = {
    "A": "No doubt about the authenticity, trustworthiness and competence of the source, "
    "or a history of complete reliability",
    "B": "Source from whom information received has in most instances proved to be reliable",
    "C": "Source from whom information received has in most instances proved to be unreliable",
    "X": "The reliability of the source cannot be assessed",
}
ACCURACY_MEANING = {
    1: "No doubt about the accuracy of the information",
    2: "Information known personally to the source but not known personally to the official "
    "who is passing it on",
    3: "Information not known personally to the source but corroborated by other information "
    "already recorded",
    4: "Information not known personally to the source and which cannot be corroborated",
}


def grade_code(reliability: str, accuracy) -> str:
    """`B2`; "" when the thing is not graded (an answer given before grading existed)."""
    if not reliability or accuracy in (None, ""):
        return ""
    return f"{reliability}{int(accuracy)}"


def grade_meaning(reliability: str, accuracy) -> str:
    """The hover text of a grade: `B: … 2: …`."""
    if not grade_code(reliability, accuracy):
        return "Not graded"
    return (
        f"{reliability}: {RELIABILITY_MEANING.get(reliability, '')}. "
        f"{int(accuracy)}: {ACCURACY_MEANING.get(int(accuracy), '')}."
    )


class TimelineKind(models.TextChoices):
    CREATED = "created", "Created"
    EDITED = "edited", "Edited"
    STATUS_CHANGED = "status_changed", "Status changed"
    SHARED = "shared", "Shared"
    SHARE_REVOKED = "share_revoked", "Share revoked"
    SHARE_EXPIRED = "share_expired", "Share expired"
    MESSAGE = "message", "Message"
    REQUEST_SENT = "request_sent", "Cooperation request sent"
    REQUEST_ANSWERED = "request_answered", "Cooperation request answered"
    REQUEST_CLOSED = "request_closed", "Cooperation request closed"
    VICTIM_LINKED = "victim_linked", "Victim linked"
    ASSIGNED = "assigned", "Assignment"
    FLAGGED = "flagged", "Flag"
    HANDOVER = "handover", "Hand-over of the lead office"
    JUSTICE = "justice", "Justice (arrest, charge, court, verdict, sentence)"


class LegalAct(models.TextChoices):
    """The codes of Pakistan's statutes as loaded (`cases.models.Statute.code`, `cases.law`)."""

    PTPA_2018 = "PTPA_2018", "Prevention of Trafficking in Persons Act, 2018"
    PSMA_2018 = "PSMA_2018", "Prevention of Smuggling of Migrants Act, 2018"
    EO_1979 = "EO_1979", "Emigration Ordinance, 1979"


class HandOverStatus(models.TextChoices):
    """A request to hand the lead of a case to another office (`cases.models.HandOver`)."""

    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"


# The handling codes of the share a lead office keeps after a hand-over: H3 needs conditions,
# which the new lead office states when it shares.
KEPT_SHARE_CODES = [(code.value, code.label) for code in HandlingCode if code != HandlingCode.H3]


class AssignedFilter(models.TextChoices):
    """The case list's `assigned` filter, the same on the page and in the API."""

    MINE = "mine", "My cases"
    UNASSIGNED = "unassigned", "Unassigned"
