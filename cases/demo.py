"""Demo cases modelled on the UNODC/FIA workshop of July 2022 (`seed_demo`).

What the focal points described there: forced labour and domestic servitude in the UK; forced
labour, forced marriage and sexual exploitation in Greece; the route from Pakistan through Iran
and Turkey to Greece; sea crossings to Italy and Spain; domestic servitude in the Gulf. Each link
office leads at least one case. Everything is written through `cases.services` (so timelines and
notification events are real); only two things are back-dated afterwards, because a demo cannot
wait for them: one share's expiry and two requests' due times.

Idempotent: a demo case is looked up by its office and title; an existing one is left as it is.
The cases are handed to the next app's demo in `ctx.cases` (key → Case), each office's main case
first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from cases import services
from cases.constants import (
    URGENCY_DUE,
    CaseKind,
    CaseOutcome,
    CaseStatus,
    Exploitation,
    HandlingCode,
    LabourSector,
    LegalAct,
    MeansOfControl,
    RecruiterRelationship,
    RequestKind,
    ShareLevel,
    SourceReliability,
    TimelineKind,
    Urgency,
)
from cases.grants import sync_case_grants
from cases.law import cited_provisions
from cases.models import Case, CaseShare, CooperationRequest, LegalProvision, TimelineEvent
from cases.services._common import share_label

# Status paths from "reported"; closing carries an outcome.
_PATHS = {
    CaseStatus.REPORTED: [],
    CaseStatus.UNDER_INVESTIGATION: [CaseStatus.UNDER_INVESTIGATION],
    CaseStatus.REFERRED_FOR_PROSECUTION: [
        CaseStatus.UNDER_INVESTIGATION,
        CaseStatus.REFERRED_FOR_PROSECUTION,
    ],
    CaseStatus.IN_COURT: [
        CaseStatus.UNDER_INVESTIGATION,
        CaseStatus.REFERRED_FOR_PROSECUTION,
        CaseStatus.IN_COURT,
    ],
    CaseStatus.CLOSED: [
        CaseStatus.UNDER_INVESTIGATION,
        CaseStatus.REFERRED_FOR_PROSECUTION,
        CaseStatus.IN_COURT,
        CaseStatus.CLOSED,
    ],
}


@dataclass(frozen=True)
class DemoShare:
    to: str  # office code or partner short name
    level: int
    code: str
    conditions: str = ""
    then: str = ""  # "", "expired" or "revoked"
    by: str = ""  # a recipient office passing the case on (default: the lead office)


@dataclass(frozen=True)
class DemoRequest:
    to: str
    kind: str
    urgency: str
    question: str
    overdue_by: dt.timedelta | None = None
    answer: str = ""
    answer_grade: str = "X4"  # Europol's 4x4, as a message's
    close: bool = False


@dataclass(frozen=True)
class DemoMessage:
    by: str  # username
    body: str
    grade: str  # e.g. "B2"


@dataclass(frozen=True)
class DemoJustice:
    """One step of one suspect (`cases.services.justice`), dated `days_ago`."""

    suspect: str  # the suspect's name on the case
    stage: str
    days_ago: int
    provision: tuple[str, str] | None = None  # (statute code, section)
    verdict: str = ""
    country: str = ""  # blank: the provision's
    authority: str = ""
    custody_months: int | None = None
    withdrawn: str = ""  # entered by mistake: withdrawn with this reason


@dataclass(frozen=True)
class DemoCase:
    key: str
    office: str
    kind: str
    title: str
    summary: str
    forms: tuple[str, ...] = ()
    sector: str = ""
    means: tuple[str, ...] = ()
    recruiter: str = ""
    provisions: tuple[tuple[str, str], ...] = ()
    host_law: str = ""
    route: tuple[dict, ...] = ()
    suspects: tuple[dict, ...] = ()
    status: str = CaseStatus.REPORTED
    outcome: str = ""
    reopen_reason: str = ""
    shares: tuple[DemoShare, ...] = ()
    requests: tuple[DemoRequest, ...] = ()
    messages: tuple[DemoMessage, ...] = field(default=())
    justice: tuple[DemoJustice, ...] = ()


PTPA = LegalAct.PTPA_2018
PSMA = LegalAct.PSMA_2018


def _leg(stage, country, place="", mode="", date=None) -> dict:
    return {"stage": stage, "country": country, "place": place, "mode": mode, "date": date}


def _suspect(role, name="", nationality="PAK", sex="male", age_band="unknown") -> dict:
    return {
        "role": role,
        "name": name,
        "nationality": nationality,
        "sex": sex,
        "age_band": age_band,
    }


D = dt.date
DEMO_CASES: list[DemoCase] = [
    DemoCase(
        key="gbr-servitude",
        office="GBR",
        kind=CaseKind.TIP,
        title="Domestic servitude in a private household, north London",
        summary="A young woman recruited in Lahore as a nanny was kept in the employers' house "
        "for two years, unpaid, her passport held by the employer. Reported by a neighbour.",
        forms=(Exploitation.DOMESTIC_SERVITUDE,),
        sector=LabourSector.DOMESTIC_WORK,
        means=(
            MeansOfControl.WITHHOLDS_DOCUMENTS,
            MeansOfControl.WITHHOLDS_WAGES,
            MeansOfControl.RESTRICTS_MOVEMENT,
            MeansOfControl.ISOLATION,
        ),
        recruiter=RecruiterRelationship.ACQUAINTANCE,
        provisions=((PTPA, "3"),),
        host_law="Modern Slavery Act 2015, s.1 (slavery, servitude and forced labour)",
        route=(
            _leg("recruitment", "PAK", "Lahore", date=D(2023, 2, 1)),
            _leg("exploitation", "GBR", "London", "air", D(2023, 3, 14)),
        ),
        suspects=(
            _suspect("exploiter", "Employer (household head)", "GBR", age_band="39-47"),
            _suspect("recruiter", "Family acquaintance in Lahore", "PAK", "female"),
        ),
        status=CaseStatus.UNDER_INVESTIGATION,
        shares=(DemoShare("BHC", ShareLevel.FULL, HandlingCode.H1),),
        requests=(
            DemoRequest(
                "BHC",
                RequestKind.IDENTITY_CHECK,
                Urgency.NORMAL,
                "Please confirm the visa history of the employer's household staff since 2022.",
            ),
        ),
        messages=(
            DemoMessage(
                "fp.gbr",
                "Home Office records show a domestic worker visa issued in 2023, not renewed.",
                "A1",
            ),
        ),
    ),
    DemoCase(
        key="gbr-labour",
        office="GBR",
        kind=CaseKind.TIP,
        title="Forced labour on construction sites and car washes, Birmingham",
        summary="Men recruited in Mirpur with promises of construction work, routed through "
        "Dubai, made to work 14-hour days to repay a recruitment debt.",
        forms=(Exploitation.FORCED_LABOUR,),
        sector=LabourSector.CONSTRUCTION,
        means=(
            MeansOfControl.DEBT_BONDAGE,
            MeansOfControl.WITHHOLDS_DOCUMENTS,
            MeansOfControl.THREATS,
            MeansOfControl.EXCESSIVE_HOURS,
        ),
        recruiter=RecruiterRelationship.AGENT,
        provisions=((PTPA, "3"), (PTPA, "4")),
        host_law="Modern Slavery Act 2015, ss.1-2",
        route=(
            _leg("recruitment", "PAK", "Mirpur", date=D(2022, 9, 5)),
            _leg("transit", "ARE", "Dubai", "air", D(2022, 10, 2)),
            _leg("exploitation", "GBR", "Birmingham", "air", D(2022, 10, 20)),
        ),
        suspects=(
            _suspect("recruiter", "Overseas employment agent, Mirpur", age_band="48+"),
            _suspect("exploiter", "Site subcontractor", "GBR", age_band="30-38"),
            _suspect("financier", "Hawala operator"),
        ),
        justice=(
            DemoJustice(
                "Overseas employment agent, Mirpur",
                "arrest",
                60,
                country="PAK",
                authority="FIA, Mirpur",
            ),
            DemoJustice(
                "Overseas employment agent, Mirpur",
                "charge",
                55,
                ("PTPA_2018", "3"),
                authority="FIA, Mirpur",
            ),
            DemoJustice(
                "Overseas employment agent, Mirpur",
                "charge",
                55,
                ("EO_1979", "18"),
                authority="FIA, Mirpur",
            ),
        ),
        status=CaseStatus.REFERRED_FOR_PROSECUTION,
        shares=(
            DemoShare("BHC", ShareLevel.FULL_WITH_VICTIMS, HandlingCode.H2),
            DemoShare("ARE", ShareLevel.SUMMARY, HandlingCode.H0),
            DemoShare("ITA", ShareLevel.SUMMARY, HandlingCode.H0, then="expired"),
        ),
        requests=(
            DemoRequest(
                "ARE",
                RequestKind.TRAVEL_HISTORY,
                Urgency.NORMAL,
                "Entries and exits through Dubai of the workers named in the annex.",
                answer="Six of the eight transited DXB in October 2022; records attached.",
                answer_grade="A1",
            ),
        ),
    ),
    DemoCase(
        key="grc-labour",
        office="GRC",
        kind=CaseKind.TIP,
        title="Forced labour in strawberry fields, Peloponnese",
        summary="Seasonal farm workers from Gujrat paid nothing for months and threatened when "
        "they asked for wages.",
        forms=(Exploitation.FORCED_LABOUR,),
        sector=LabourSector.AGRICULTURE,
        means=(
            MeansOfControl.WITHHOLDS_WAGES,
            MeansOfControl.THREATS,
            MeansOfControl.PHYSICAL_ABUSE,
        ),
        recruiter=RecruiterRelationship.AGENT,
        provisions=((PTPA, "3"),),
        host_law="Greek Criminal Code, art. 323A (trafficking in human beings)",
        route=(
            _leg("recruitment", "PAK", "Gujrat", date=D(2021, 4, 1)),
            _leg("transit", "IRN", "Zahedan", "land"),
            _leg("transit", "TUR", "Van", "land"),
            _leg("exploitation", "GRC", "Manolada", "land", D(2021, 7, 1)),
        ),
        suspects=(_suspect("exploiter", "Farm foreman", "GRC"),),
        justice=(
            DemoJustice(
                "Farm foreman", "arrest", 200, country="GRC", authority="Hellenic Police, Patras"
            ),
            DemoJustice(
                "Farm foreman", "charge", 190, ("GRC_PC", "323A"), authority="Prosecutor, Patras"
            ),
            DemoJustice(
                "Farm foreman", "court", 20, country="GRC", authority="Mixed Jury Court, Patras"
            ),
        ),
        status=CaseStatus.IN_COURT,
    ),
    DemoCase(
        key="grc-marriage",
        office="GRC",
        kind=CaseKind.TIP,
        title="Forced marriage and sexual exploitation, Athens",
        summary="A woman married by arrangement in Sialkot was brought to Athens by her husband "
        "and forced into prostitution.",
        forms=(
            Exploitation.FORCED_MARRIAGE,
            Exploitation.SEXUAL_EXPLOITATION,
            Exploitation.SEXUAL_PROSTITUTION,
        ),
        means=(
            MeansOfControl.FALSE_PROMISES,
            MeansOfControl.ISOLATION,
            MeansOfControl.THREATS_TO_FAMILY,
            MeansOfControl.SEXUAL_ABUSE,
        ),
        recruiter=RecruiterRelationship.INTIMATE_PARTNER,
        provisions=((PTPA, "3"), (PTPA, "4")),
        host_law="Greek Criminal Code, arts. 323A and 351",
        route=(
            _leg("recruitment", "PAK", "Sialkot", date=D(2023, 11, 20)),
            _leg("exploitation", "GRC", "Athens", "air", D(2024, 1, 8)),
        ),
        suspects=(
            _suspect("exploiter", "Husband", age_band="30-38"),
            _suspect("facilitator", "Brothel keeper", "GRC", "female"),
        ),
        status=CaseStatus.UNDER_INVESTIGATION,
        shares=(
            DemoShare(
                "Embassy GRC",
                ShareLevel.FULL,
                HandlingCode.H3,
                conditions="Not to be used in family-court proceedings in Pakistan.",
            ),
            DemoShare("ITA", ShareLevel.SUMMARY, HandlingCode.H0, then="revoked"),
        ),
        requests=(
            DemoRequest(
                "Embassy GRC",
                RequestKind.MUTUAL_LEGAL_ASSISTANCE,
                Urgency.LOW,
                "Is an MLA request needed for the husband's Greek bank records?",
                answer="Yes: through the Ministry of Justice; template sent by email.",
                answer_grade="B2",
                close=True,
            ),
        ),
        messages=(
            DemoMessage(
                "fp.grc",
                "Hellenic Police anti-trafficking unit has opened a file in parallel.",
                "B2",
            ),
        ),
    ),
    DemoCase(
        key="tur-route",
        office="TUR",
        kind=CaseKind.SOM,
        title="Smuggling network Quetta – Van – Istanbul – Evros",
        summary="A network moving migrants from Balochistan across Iran and Turkey to the Greek "
        "land border for USD 8,000 each, with safe houses in Van and Istanbul.",
        provisions=((PSMA, "3"), (PSMA, "4")),
        host_law="Turkish Penal Code, art. 79 (migrant smuggling)",
        route=(
            _leg("recruitment", "PAK", "Quetta", date=D(2024, 5, 2)),
            _leg("transit", "IRN", "Taftan / Zahedan", "land", D(2024, 5, 6)),
            _leg("transit", "TUR", "Van", "land", D(2024, 5, 20)),
            _leg("transit", "TUR", "Istanbul", "land", D(2024, 6, 3)),
            _leg("transit", "GRC", "Evros", "land", D(2024, 6, 15)),
        ),
        suspects=(
            _suspect("smuggler", "Network organiser, Quetta", age_band="39-47"),
            _suspect("transporter", "Driver, Zahedan", "IRN"),
            _suspect("facilitator", "Safe-house keeper, Van", "TUR"),
            _suspect("financier", "Hawala agent, Istanbul"),
        ),
        justice=(
            DemoJustice(
                "Network organiser, Quetta", "arrest", 150, country="PAK", authority="FIA, Quetta"
            ),
            DemoJustice(
                "Network organiser, Quetta",
                "charge",
                145,
                ("PSMA_2018", "3"),
                authority="FIA, Quetta",
            ),
            DemoJustice(
                "Network organiser, Quetta",
                "verdict",
                40,
                ("PSMA_2018", "3"),
                "convicted",
                authority="Sessions Court, Quetta",
            ),
            DemoJustice(
                "Network organiser, Quetta",
                "sentence",
                40,
                country="PAK",
                authority="Sessions Court, Quetta",
                custody_months=60,
            ),
            DemoJustice(
                "Safe-house keeper, Van", "arrest", 130, country="TUR", authority="Jandarma, Van"
            ),
            DemoJustice(
                "Safe-house keeper, Van",
                "verdict",
                30,
                ("TUR_TCK_5237", "79"),
                "convicted",
                authority="Van Ağır Ceza Mahkemesi",
            ),
            DemoJustice(
                "Driver, Zahedan",
                "handed_over",
                100,
                country="IRN",
                authority="Police of Sistan and Baluchestan, Zahedan",
            ),
        ),
        status=CaseStatus.UNDER_INVESTIGATION,
        shares=(
            DemoShare("IRN", ShareLevel.FULL, HandlingCode.H0),
            DemoShare("GRC", ShareLevel.FULL, HandlingCode.H1),
            DemoShare("Frontex", ShareLevel.SUMMARY, HandlingCode.H0),
            DemoShare("Embassy TUR", ShareLevel.FULL, HandlingCode.H2),
            # Greece passes its share on to the Greek embassy, under the same code.
            DemoShare("Embassy GRC", ShareLevel.SUMMARY, HandlingCode.H1, by="GRC"),
        ),
        requests=(
            DemoRequest(
                "IRN",
                RequestKind.TRAVEL_HISTORY,
                Urgency.URGENT,
                "Crossings at Taftan on 5-6 May 2024 of the vehicle in the attached photo.",
                overdue_by=dt.timedelta(days=2),
            ),
            DemoRequest(
                "Frontex",
                RequestKind.EVIDENCE,
                Urgency.LOW,
                "Any detections at the Evros border on 14-15 June 2024 matching this group?",
            ),
        ),
        messages=(
            DemoMessage("ilo.tur", "Safe house in Van raided; 14 migrants found.", "A1"),
            DemoMessage("ilo.grc", "Similar group intercepted at Evros in June.", "C3"),
        ),
    ),
    DemoCase(
        key="irn-ransom",
        office="IRN",
        kind=CaseKind.SOM,
        title="Migrants held for ransom in safe houses near Zahedan",
        summary="Families in Pakistan received calls demanding money for relatives held by "
        "smugglers after crossing at Taftan.",
        provisions=((PSMA, "4"),),
        route=(
            _leg("recruitment", "PAK", "Mandi Bahauddin"),
            _leg("transit", "IRN", "Zahedan", "land", D(2025, 2, 10)),
        ),
        suspects=(_suspect("smuggler", "Caller using Iranian numbers", "IRN"),),
        status=CaseStatus.REPORTED,
    ),
    DemoCase(
        key="ita-sexual",
        office="ITA",
        kind=CaseKind.TIP,
        title="Sexual exploitation of a girl after a sea crossing, Sicily",
        summary="A 17-year-old who arrived at Lampedusa was taken from a reception centre by a "
        "man posing as her cousin and exploited in Catania.",
        forms=(Exploitation.SEXUAL_EXPLOITATION,),
        means=(
            MeansOfControl.FALSE_PROMISES,
            MeansOfControl.RESTRICTS_MOVEMENT,
            MeansOfControl.SUBSTANCES,
        ),
        recruiter=RecruiterRelationship.FAMILY,
        provisions=((PTPA, "3"), (PTPA, "4")),
        host_law="Codice penale, art. 601 (tratta di persone)",
        route=(
            _leg("recruitment", "PAK", "Gujranwala", date=D(2024, 8, 1)),
            _leg("transit", "LBY", "Benghazi", "air"),
            _leg("exploitation", "ITA", "Catania", "sea", D(2024, 10, 12)),
        ),
        suspects=(_suspect("exploiter", "Man posing as cousin", age_band="24-26"),),
        status=CaseStatus.UNDER_INVESTIGATION,
        shares=(DemoShare("IOM", ShareLevel.FULL_WITH_VICTIMS, HandlingCode.H1),),
        requests=(
            DemoRequest(
                "IOM",
                RequestKind.OTHER,
                Urgency.URGENT,
                "Is a place free in a shelter for minors in Sicily this week?",
            ),
        ),
    ),
    DemoCase(
        key="ita-sea",
        office="ITA",
        kind=CaseKind.SOM,
        title="Sea crossing Benghazi – Lampedusa",
        summary="Migrants flown to Dubai and Benghazi, then put on an overcrowded fishing boat "
        "to Lampedusa; the skipper was arrested on arrival.",
        provisions=((PSMA, "3"), (PSMA, "4")),
        host_law="Testo unico immigrazione, art. 12",
        route=(
            _leg("recruitment", "PAK", "Lahore", date=D(2023, 3, 1)),
            _leg("transit", "ARE", "Dubai", "air", D(2023, 3, 20)),
            _leg("transit", "LBY", "Benghazi", "air", D(2023, 3, 22)),
            _leg("transit", "ITA", "Lampedusa", "sea", D(2023, 4, 11)),
        ),
        suspects=(
            _suspect("smuggler", "Boat skipper", "EGY", age_band="30-38"),
            _suspect("facilitator", "Travel agent, Lahore"),
        ),
        justice=(
            DemoJustice(
                "Boat skipper",
                "arrest",
                300,
                country="ITA",
                authority="Guardia di Finanza, Crotone",
            ),
            DemoJustice(
                "Boat skipper",
                "charge",
                290,
                ("ITA_DLGS_286_1998", "12"),
                authority="Procura di Crotone",
            ),
            DemoJustice(
                "Boat skipper",
                "verdict",
                120,
                ("ITA_CP", "601"),
                "convicted",
                authority="Tribunale di Crotone",
                withdrawn="Wrong provision: the conviction is under d.lgs. 286/1998 art. 12",
            ),
            DemoJustice(
                "Boat skipper",
                "verdict",
                120,
                ("ITA_DLGS_286_1998", "12"),
                "convicted",
                authority="Tribunale di Crotone",
            ),
            DemoJustice(
                "Boat skipper",
                "sentence",
                110,
                country="ITA",
                authority="Tribunale di Crotone",
                custody_months=48,
            ),
            DemoJustice(
                "Travel agent, Lahore",
                "arrest",
                280,
                country="PAK",
                authority="FIA Anti-Human Trafficking Circle, Lahore",
            ),
            DemoJustice(
                "Travel agent, Lahore", "charge", 270, ("PSMA_2018", "3"), authority="FIA, Lahore"
            ),
            DemoJustice(
                "Travel agent, Lahore",
                "verdict",
                90,
                ("PSMA_2018", "3"),
                "convicted",
                authority="Sessions Court, Lahore",
            ),
            DemoJustice(
                "Travel agent, Lahore",
                "sentence",
                90,
                country="PAK",
                authority="Sessions Court, Lahore",
                custody_months=36,
            ),
        ),
        status=CaseStatus.CLOSED,
        outcome=CaseOutcome.CONVICTED,
        shares=(
            DemoShare("Frontex", ShareLevel.FULL, HandlingCode.H0),
            DemoShare("ESP", ShareLevel.SUMMARY, HandlingCode.H0),
        ),
        messages=(DemoMessage("fp.frontex", "Same boat model seen off Crete in May.", "B3"),),
    ),
    DemoCase(
        key="esp-sea",
        office="ESP",
        kind=CaseKind.SOM,
        title="Boat crossing Nador – Almería",
        summary="Pakistani migrants moved through Morocco and put on a boat to Almería.",
        provisions=((PSMA, "3"),),
        host_law="Código Penal, art. 318 bis",
        route=(
            _leg("recruitment", "PAK", "Sialkot"),
            _leg("transit", "MAR", "Nador", "air"),
            _leg("transit", "ESP", "Almería", "sea", D(2025, 6, 30)),
        ),
        suspects=(_suspect("smuggler", "Boat organiser", "MAR"),),
        status=CaseStatus.REPORTED,
        shares=(DemoShare("ITA", ShareLevel.FULL, HandlingCode.H0),),
    ),
    DemoCase(
        key="are-servitude",
        office="ARE",
        kind=CaseKind.TIP,
        title="Domestic servitude of women recruited as housemaids, Dubai",
        summary="Women from Faisalabad recruited by a licensed agency, their passports taken on "
        "arrival and their phones confiscated.",
        forms=(Exploitation.DOMESTIC_SERVITUDE,),
        sector=LabourSector.DOMESTIC_WORK,
        means=(
            MeansOfControl.WITHHOLDS_DOCUMENTS,
            MeansOfControl.ISOLATION,
            MeansOfControl.EXCESSIVE_HOURS,
            MeansOfControl.PSYCHOLOGICAL_ABUSE,
        ),
        recruiter=RecruiterRelationship.AGENT,
        provisions=((PTPA, "3"),),
        host_law="UAE Federal Law No. 51 of 2006 on combating human trafficking",
        route=(
            _leg("recruitment", "PAK", "Faisalabad", date=D(2024, 1, 10)),
            _leg("exploitation", "ARE", "Dubai", "air", D(2024, 2, 2)),
        ),
        suspects=(_suspect("recruiter", "Recruitment agency, Faisalabad"),),
        status=CaseStatus.UNDER_INVESTIGATION,
        shares=(
            DemoShare("IOM", ShareLevel.SUMMARY, HandlingCode.H0),
            DemoShare(
                "BHC",
                ShareLevel.SUMMARY,
                HandlingCode.H3,
                conditions="For the Home Office Modern Slavery Unit only.",
            ),
        ),
        requests=(
            DemoRequest(
                "IOM",
                RequestKind.WITNESS_STATEMENT,
                Urgency.NORMAL,
                "Can the two women assisted in Dubai give statements before their return?",
                overdue_by=dt.timedelta(days=3),
            ),
        ),
    ),
    DemoCase(
        key="omn-boats",
        office="OMN",
        kind=CaseKind.SOM,
        title="Boat crossings from Gwadar to the Batinah coast",
        summary="Small boats carrying migrants from the Makran coast to Oman at night.",
        provisions=((PSMA, "3"),),
        route=(
            _leg("recruitment", "PAK", "Gwadar"),
            _leg("transit", "OMN", "Sohar", "sea", D(2022, 12, 1)),
        ),
        suspects=(_suspect("smuggler", "Boat owner, Jiwani"),),
        justice=(
            DemoJustice(
                "Boat owner, Jiwani", "arrest", 250, country="PAK", authority="FIA, Gwadar"
            ),
            DemoJustice(
                "Boat owner, Jiwani", "charge", 245, ("PSMA_2018", "3"), authority="FIA, Gwadar"
            ),
            DemoJustice(
                "Boat owner, Jiwani",
                "verdict",
                100,
                ("PSMA_2018", "3"),
                "acquitted",
                authority="Sessions Court, Gwadar",
            ),
        ),
        status=CaseStatus.CLOSED,
        outcome=CaseOutcome.NO_FURTHER_ACTION,
        reopen_reason="New arrests in Sohar in 2025 link the same boat owner.",
    ),
]


def _recipient(ctx, name: str) -> dict:
    if name in ctx.offices:
        return {"office": ctx.offices[name]}
    return {"partner": ctx.partners[name]}


def _officer(ctx, office_code: str):
    return ctx.users[f"ilo.{office_code.lower()}"]


def _partner_user(ctx, short_name: str):
    """The demo user who acts for a partner organisation."""
    return {
        "BHC": "fp.gbr",
        "Embassy TUR": "fp.tur",
        "Embassy GRC": "fp.grc",
        "Frontex": "fp.frontex",
        "UNODC": "unodc.pk",
        "IOM": "iom.pk",
        "Inspire": "inspire.pk",
    }[short_name]


# A demo cannot wait for a share to run out or a request to fall due: these two move a fresh
# row (and its timeline line) into the past, as if it had been made then.


def _backdate_share(case: Case, share: CaseShare, now: dt.datetime) -> None:
    """The share was made 40 days ago for 33 days: it expired a week ago."""
    created, expires = now - dt.timedelta(days=40), now - dt.timedelta(days=7)
    CaseShare.objects.filter(pk=share.pk).update(created_at=created, expires_at=expires)
    sync_case_grants(case)  # the grant follows the share's new expiry
    recipient = share.office.code if share.office_id else str(share.partner)
    TimelineEvent.objects.filter(
        case=case, kind=TimelineKind.SHARED, changes__share=share.pk
    ).update(
        created_at=created,
        summary=f"Shared with {recipient} — {share_label(share.level, share.handling_code)}, "
        f"until {expires:%d %b %Y %H:%M} UTC",
    )


def _backdate_request(case: Case, request: CooperationRequest, due_at: dt.datetime) -> None:
    """The request was sent one urgency-period before `due_at`, which has passed."""
    sent = due_at - URGENCY_DUE[request.urgency]
    CooperationRequest.objects.filter(pk=request.pk).update(created_at=sent, due_at=due_at)
    line = TimelineEvent.objects.get(
        case=case, kind=TimelineKind.REQUEST_SENT, changes__request=request.pk
    )
    line.created_at = sent
    line.summary = line.summary.rsplit(", due ", 1)[0] + f", due {due_at:%d %b %Y %H:%M} UTC"
    line.changes["due_at"] = due_at.isoformat()
    line.save(update_fields=["created_at", "summary", "changes"])


def _create(ctx, spec: DemoCase) -> Case:
    officer = _officer(ctx, spec.office)
    provisions = [LegalProvision.objects.get(act=act, section=sec) for act, sec in spec.provisions]
    # The host-country provisions its text names, as the migration read the existing cases'.
    loaded = LegalProvision.objects.values_list("id", "act_id", "section")
    provisions += list(
        LegalProvision.objects.filter(pk__in=cited_provisions(spec.host_law, loaded))
    )
    case = services.case_create(
        acting_user=officer,
        lead_office=ctx.offices[spec.office],
        kind=spec.kind,
        title=spec.title,
        summary=spec.summary,
        forms_of_exploitation=spec.forms,
        labour_sector=spec.sector,
        means_of_control=spec.means,
        recruiter_relationship=spec.recruiter,
        host_country_law=spec.host_law,
        legal_provisions=provisions,
        route_legs=spec.route,
        suspects=spec.suspects,
    )
    for step in _PATHS[spec.status]:
        case = services.case_transition(
            acting_user=officer,
            case=case,
            to_status=step,
            outcome=spec.outcome if step == CaseStatus.CLOSED else "",
        )
    if spec.reopen_reason:
        case = services.case_transition(
            acting_user=officer,
            case=case,
            to_status=CaseStatus.UNDER_INVESTIGATION,
            reason=spec.reopen_reason,
        )
    now = timezone.now()
    for share_spec in spec.shares:
        sharer = _officer(ctx, share_spec.by or spec.office)
        share = services.case_share(
            acting_user=sharer,
            case=case,
            level=share_spec.level,
            handling_code=share_spec.code,
            handling_conditions=share_spec.conditions,
            expires_at=now + dt.timedelta(days=30) if share_spec.then == "expired" else None,
            **_recipient(ctx, share_spec.to),
        )
        if share_spec.then == "expired":
            _backdate_share(case, share, now)
        elif share_spec.then == "revoked":
            services.share_revoke(acting_user=officer, share=share)
    for request_spec in spec.requests:
        request = services.request_create(
            acting_user=officer,
            case=case,
            from_office=ctx.offices[spec.office],
            kind=request_spec.kind,
            urgency=request_spec.urgency,
            question=request_spec.question,
            **{f"to_{k}": v for k, v in _recipient(ctx, request_spec.to).items()},
        )
        if request_spec.overdue_by is not None:
            _backdate_request(case, request, now - request_spec.overdue_by)
        if request_spec.answer:
            answerer = (
                _officer(ctx, request_spec.to)
                if request_spec.to in ctx.offices
                else ctx.users[_partner_user(ctx, request_spec.to)]
            )
            services.request_answer(
                acting_user=answerer,
                request=request,
                answer=request_spec.answer,
                reliability=request_spec.answer_grade[0],
                accuracy=int(request_spec.answer_grade[1]),
            )
        if request_spec.close:
            services.request_close(acting_user=officer, request=request)
    _justice(case, spec, officer)
    for message in spec.messages:
        services.message_post(
            acting_user=ctx.users[message.by],
            case=case,
            body=message.body,
            reliability=SourceReliability(message.grade[0]),
            accuracy=int(message.grade[1]),
        )
    return case


def _justice(case: Case, spec: DemoCase, officer) -> None:
    """The suspects' steps, in order; a line marked `withdrawn` is entered, then withdrawn."""
    if not spec.justice:
        return
    today = timezone.localdate()
    suspects = {s.name: s for s in case.suspects.all()}
    for step in spec.justice:
        provision = (
            LegalProvision.objects.get(act=step.provision[0], section=step.provision[1])
            if step.provision
            else None
        )
        event = services.justice_event_add(
            acting_user=officer,
            suspect=suspects[step.suspect],
            stage=step.stage,
            date=today - dt.timedelta(days=step.days_ago),
            country=step.country or None,
            provision=provision,
            verdict=step.verdict,
            authority=step.authority,
            custody_months=step.custody_months,
        )
        if step.withdrawn:
            services.justice_event_withdraw(acting_user=officer, event=event, reason=step.withdrawn)


def seed(ctx) -> None:
    """Create the demo cases (once) and hand them to the next app in `ctx.cases`."""
    if not hasattr(ctx, "cases"):
        ctx.cases = {}
    for spec in DEMO_CASES:
        case = Case.objects.filter(lead_office=ctx.offices[spec.office], title=spec.title).first()
        if case is None:
            case = _create(ctx, spec)
        ctx.cases[spec.key] = case
