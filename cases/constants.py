"""Choices and transition tables for cases, shares, cooperation requests and messages.

The exploitation taxonomy follows the Human Trafficking Case Data Standard (HTCDS); the age
bands are the CTDC's.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseKind(models.TextChoices):
    TIP = "TIP", _("Trafficking in persons")
    SOM = "SOM", _("Smuggling of migrants")


class CaseStatus(models.TextChoices):
    REPORTED = "reported", _("Reported")
    UNDER_INVESTIGATION = "under_investigation", _("Under investigation")
    REFERRED_FOR_PROSECUTION = "referred_for_prosecution", _("Referred for prosecution")
    IN_COURT = "in_court", _("In court")
    CLOSED = "closed", _("Closed")


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

    CONVICTED = "convicted", _("Convicted")
    ACQUITTED = "acquitted", _("Acquitted")
    NO_FURTHER_ACTION = "no_further_action", _("No further action")
    TRANSFERRED = "transferred", _("Handed over to another jurisdiction (not a verdict)")


# The closing reasons that are a court's decision; a hand-over is not one.
VERDICT_OUTCOMES = frozenset({CaseOutcome.CONVICTED, CaseOutcome.ACQUITTED})


class JusticeStage(models.TextChoices):
    """What happened to one suspect in the justice system (`JusticeEvent`), in the order of a
    criminal case; a hand-over to another jurisdiction is a stage, never a verdict."""

    ARREST = "arrest", _("Arrested")
    CHARGE = "charge", _("Charged")
    PROSECUTION = "prosecution", _("Prosecuted (sent for trial)")
    COURT = "court", _("Before the court")
    VERDICT = "verdict", _("Verdict")
    SENTENCE = "sentence", _("Sentenced")
    HANDED_OVER = "handed_over", _("Handed over to another jurisdiction")


# Which stages name a provision (what the suspect is charged with, convicted or acquitted of).
PROVISION_STAGES = frozenset({JusticeStage.CHARGE, JusticeStage.VERDICT})


class Verdict(models.TextChoices):
    CONVICTED = "convicted", _("Convicted")
    ACQUITTED = "acquitted", _("Acquitted")
    DISMISSED = "dismissed", _("Charge dismissed or withdrawn")


class Exploitation(models.TextChoices):
    """Forms of exploitation (HTCDS), with the sexual exploitation sub-forms."""

    FORCED_LABOUR = "forced_labour", _("Forced labour")
    DOMESTIC_SERVITUDE = "domestic_servitude", _("Domestic servitude")
    SEXUAL_EXPLOITATION = "sexual_exploitation", _("Sexual exploitation")
    SEXUAL_PROSTITUTION = "sexual_prostitution", _("Sexual exploitation — prostitution")
    SEXUAL_PORNOGRAPHY = "sexual_pornography", _("Sexual exploitation — pornography")
    SEXUAL_PRIVATE = "sexual_private", _("Sexual exploitation — private sexual services")
    SEXUAL_REMOTE = "sexual_remote", _("Sexual exploitation — remote interactive services")
    FORCED_MARRIAGE = "forced_marriage", _("Forced marriage")
    FORCED_CRIMINALITY = "forced_criminality", _("Forced criminality")
    FORCED_BEGGING = "forced_begging", _("Forced begging")
    ORGAN_REMOVAL = "organ_removal", _("Organ removal")
    OTHER = "other", _("Other")


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
    AGRICULTURE = "agriculture", _("Agriculture")
    CONSTRUCTION = "construction", _("Construction")
    DOMESTIC_WORK = "domestic_work", _("Domestic work")
    MANUFACTURING = "manufacturing", _("Manufacturing")
    HOSPITALITY = "hospitality", _("Hospitality")
    FISHING = "fishing", _("Fishing")
    BRICK_KILNS = "brick_kilns", _("Brick kilns")
    RETAIL = "retail", _("Retail")
    OTHER = "other", _("Other")


class MeansOfControl(models.TextChoices):
    DEBT_BONDAGE = "debt_bondage", _("Debt bondage")
    WITHHOLDS_DOCUMENTS = "withholds_documents", _("Withholds documents")
    WITHHOLDS_WAGES = "withholds_wages", _("Withholds wages")
    THREATS = "threats", _("Threats")
    THREATS_TO_FAMILY = "threats_to_family", _("Threats to family")
    PHYSICAL_ABUSE = "physical_abuse", _("Physical abuse")
    SEXUAL_ABUSE = "sexual_abuse", _("Sexual abuse")
    PSYCHOLOGICAL_ABUSE = "psychological_abuse", _("Psychological abuse")
    FALSE_PROMISES = "false_promises", _("False promises")
    RESTRICTS_MOVEMENT = "restricts_movement", _("Restricts movement")
    ISOLATION = "isolation", _("Isolation")
    SUBSTANCES = "substances", _("Psychoactive substances")
    EXCESSIVE_HOURS = "excessive_hours", _("Excessive working hours")
    OTHER = "other", _("Other")


class RecruiterRelationship(models.TextChoices):
    INTIMATE_PARTNER = "intimate_partner", _("Intimate partner")
    FAMILY = "family", _("Family member")
    FRIEND = "friend", _("Friend")
    ACQUAINTANCE = "acquaintance", _("Other acquaintance")
    AGENT = "agent", _("Recruitment agent / employer")
    STRANGER = "stranger", _("Stranger")
    UNKNOWN = "unknown", _("Unknown")


class RecruitmentMethod(models.TextChoices):
    """How the victim was recruited (HTCDS's recruitment)."""

    JOB_OFFER = "job_offer", _("Offer of a job")
    STUDY_OFFER = "study_offer", _("Offer of study")
    MIGRATION_OFFER = "migration_offer", _("Offer of travel or migration")
    MARRIAGE_OFFER = "marriage_offer", _("Offer of marriage or a relationship")
    SOLD_BY_FAMILY = "sold_by_family", _("Sold or given away by family")
    DEBT = "debt", _("Debt or a loan")
    ABDUCTION = "abduction", _("Abduction")
    ONLINE_ADVERT = "online_advert", _("Online advertisement")
    OTHER = "other", _("Other")


class OnlinePlatform(models.TextChoices):
    """Online platforms used to recruit or exploit (HTCDS's use of technology)."""

    FACEBOOK = "facebook", _("Facebook")
    INSTAGRAM = "instagram", _("Instagram")
    WHATSAPP = "whatsapp", _("WhatsApp")
    TELEGRAM = "telegram", _("Telegram")
    TIKTOK = "tiktok", _("TikTok")
    SNAPCHAT = "snapchat", _("Snapchat")
    IMO = "imo", _("IMO")
    VIBER = "viber", _("Viber")
    SIGNAL = "signal", _("Signal")
    YOUTUBE = "youtube", _("YouTube")
    DATING_SITE = "dating_site", _("Dating site or app")
    JOB_SITE = "job_site", _("Job site or app")
    CLASSIFIEDS = "classifieds", _("Classified-ads site")
    ADULT_SITE = "adult_site", _("Adult services site")
    OTHER = "other", _("Other")


class TraffickingAct(models.TextChoices):
    """The act element of trafficking (Palermo Protocol art. 3(a)), for screening."""

    RECRUITMENT = "recruitment", _("Recruitment")
    TRANSPORTATION = "transportation", _("Transportation")
    TRANSFER = "transfer", _("Transfer")
    HARBOURING = "harbouring", _("Harbouring")
    RECEIPT = "receipt", _("Receipt")


class TraffickingMeans(models.TextChoices):
    """The means element (Palermo Protocol art. 3(a)); not needed for a child (art. 3(c))."""

    THREAT = "threat", _("Threat of force")
    FORCE = "force", _("Use of force")
    COERCION = "coercion", _("Other coercion")
    ABDUCTION = "abduction", _("Abduction")
    FRAUD = "fraud", _("Fraud")
    DECEPTION = "deception", _("Deception")
    ABUSE_OF_POWER = "abuse_of_power", _("Abuse of power")
    ABUSE_OF_VULNERABILITY = "abuse_of_vulnerability", _("Abuse of a position of vulnerability")
    PAYMENTS = "payments", _("Payments or benefits to a person in control of the victim")


class RouteStage(models.TextChoices):
    RECRUITMENT = "recruitment", _("Recruitment")
    TRANSIT = "transit", _("Transit")
    EXPLOITATION = "exploitation", _("Exploitation")


class TransportMode(models.TextChoices):
    AIR = "air", _("Air")
    LAND = "land", _("Land")
    SEA = "sea", _("Sea")


class SuspectRole(models.TextChoices):
    RECRUITER = "recruiter", _("Recruiter")
    TRANSPORTER = "transporter", _("Transporter")
    SMUGGLER = "smuggler", _("Smuggler")
    FACILITATOR = "facilitator", _("Facilitator")
    EXPLOITER = "exploiter", _("Exploiter")
    FINANCIER = "financier", _("Financier")
    HARBOURER = "harbourer", _("Harbourer")


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class AgeBand(models.TextChoices):
    """The CTDC's age bands."""

    A0_8 = "0-8", _("0–8")
    A9_17 = "9-17", _("9–17")
    A18_20 = "18-20", _("18–20")
    A21_23 = "21-23", _("21–23")
    A24_26 = "24-26", _("24–26")
    A27_29 = "27-29", _("27–29")
    A30_38 = "30-38", _("30–38")
    A39_47 = "39-47", _("39–47")
    A48_PLUS = "48+", _("48+")
    UNKNOWN = "unknown", _("Unknown")


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

    SUMMARY = 1, _("Summary")
    FULL = 2, _("Full")
    FULL_WITH_VICTIMS = 3, _("Full with victims")


class HandlingCode(models.TextChoices):
    """Ordered from the least to the most restrictive: where several live grants give a user
    the same level, the highest code binds them (`cases.access`)."""

    H0 = "H0", _("H0 — crime prevention and investigation only")
    H1 = "H1", _("H1 — not for judicial proceedings without the originator's consent")
    H2 = "H2", _("H2 — no onward dissemination without the originator's consent")
    H3 = "H3", _("H3 — other restrictions (stated)")


class AccessLevel(models.IntegerChoices):
    """How a user sees a case: the share levels, then the lead office and HQ, who see all."""

    SUMMARY = 1, _("Summary")
    FULL = 2, _("Full")
    FULL_WITH_VICTIMS = 3, _("Full with victims")
    LEAD_OFFICE = 4, _("Lead office")
    HQ = 5, _("HQ")


class RequestKind(models.TextChoices):
    IDENTITY_CHECK = "identity_check", _("Identity check")
    TRAVEL_HISTORY = "travel_history", _("Travel history")
    WITNESS_STATEMENT = "witness_statement", _("Witness statement")
    EVIDENCE = "evidence", _("Evidence")
    MUTUAL_LEGAL_ASSISTANCE = "mutual_legal_assistance", _("Mutual legal assistance")
    OTHER = "other", _("Other")


class Urgency(models.TextChoices):
    URGENT = "urgent", _("Urgent (8 hours)")
    NORMAL = "normal", _("Normal (7 days)")
    LOW = "low", _("Low (14 days)")


URGENCY_DUE = {
    Urgency.URGENT: dt.timedelta(hours=8),
    Urgency.NORMAL: dt.timedelta(days=7),
    Urgency.LOW: dt.timedelta(days=14),
}


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


REQUEST_TRANSITIONS: dict[str, frozenset[str]] = {
    RequestStatus.OPEN: frozenset({RequestStatus.ANSWERED, RequestStatus.CLOSED}),
    RequestStatus.ANSWERED: frozenset({RequestStatus.CLOSED}),
    RequestStatus.CLOSED: frozenset(),
}


class SourceReliability(models.TextChoices):
    """Europol's 4x4 evaluation, source side (docs/investigation.md#grading)."""

    A = "A", _("A — no doubt of authenticity, trustworthiness and competence")
    B = "B", _("B — in most instances proved reliable")
    C = "C", _("C — in most instances proved unreliable")
    X = "X", _("X — reliability cannot be assessed")


class InformationAccuracy(models.IntegerChoices):
    """Europol's 4x4 evaluation, information side (docs/investigation.md#grading)."""

    NO_DOUBT = 1, _("1 — no doubt about its accuracy")
    KNOWN_TO_SOURCE = 2, _("2 — known personally to the source, not to the official passing it on")
    CORROBORATED = 3, _("3 — not known personally to the source, corroborated")
    NOT_CORROBORATED = 4, _("4 — not known personally to the source, cannot be corroborated")


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
    CREATED = "created", _("Created")
    EDITED = "edited", _("Edited")
    STATUS_CHANGED = "status_changed", _("Status changed")
    SHARED = "shared", _("Shared")
    SHARE_REVOKED = "share_revoked", _("Share revoked")
    SHARE_EXPIRED = "share_expired", _("Share expired")
    MESSAGE = "message", _("Message")
    REQUEST_SENT = "request_sent", _("Cooperation request sent")
    REQUEST_ANSWERED = "request_answered", _("Cooperation request answered")
    REQUEST_CLOSED = "request_closed", _("Cooperation request closed")
    VICTIM_LINKED = "victim_linked", _("Victim linked")
    ASSIGNED = "assigned", _("Assignment")
    FLAGGED = "flagged", _("Flag")
    HANDOVER = "handover", _("Hand-over of the lead office")
    JUSTICE = "justice", _("Justice (arrest, charge, court, verdict, sentence)")


class LegalAct(models.TextChoices):
    """The codes of Pakistan's statutes as loaded (`cases.models.Statute.code`, `cases.law`)."""

    PTPA_2018 = "PTPA_2018", _("Prevention of Trafficking in Persons Act, 2018")
    PSMA_2018 = "PSMA_2018", _("Prevention of Smuggling of Migrants Act, 2018")
    EO_1979 = "EO_1979", _("Emigration Ordinance, 1979")


class HandOverStatus(models.TextChoices):
    """A request to hand the lead of a case to another office (`cases.models.HandOver`)."""

    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# The handling codes of the share a lead office keeps after a hand-over: H3 needs conditions,
# which the new lead office states when it shares.
KEPT_SHARE_CODES = [(code.value, code.label) for code in HandlingCode if code != HandlingCode.H3]


class AssignedFilter(models.TextChoices):
    """The case list's `assigned` filter, the same on the page and in the API."""

    MINE = "mine", _("My cases")
    UNASSIGNED = "unassigned", _("Unassigned")
