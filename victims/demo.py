"""Demo victims, consents, referrals and a reintegration follow-up schedule.

Run by `manage.py seed_demo` after the cases demo; idempotent (a victim is looked up by the blind
index of its demo passport number before it is created). Every write goes through
`victims.services`. The people are invented: `DEMO_VICTIM_NAMES` lists them so a test can check
that no name ever reaches a log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from cases.constants import CaseKind, Exploitation, Sex
from cases.models import Case
from liaison_offices.constants import Service
from victims import services
from victims.constants import (
    ConsentPurpose,
    IdentificationStatus,
    IdentifiedBy,
    MigrationStatus,
    ReferralStatus,
    Vulnerability,
)
from victims.crypto import document_index
from victims.models import Victim


@dataclass(frozen=True)
class DemoVictim:
    office: str
    full_name: str
    passport_number: str
    sex: str
    age: int
    exploitation: tuple[str, ...]
    status: str = IdentificationStatus.ACTUAL
    decided_by: str = IdentifiedBy.POLICE
    cnic_number: str = ""
    phone: str = ""
    address: str = ""
    vulnerabilities: tuple[str, ...] = ()
    migration_status: str = MigrationStatus.IRREGULAR
    share_with: tuple[str, ...] = ()  # partner short names the victim agreed to share with
    statistics: bool = True
    # (partner short name, service, final status) — consent recorded for each, then referred
    referrals: tuple[tuple[str, str, str], ...] = field(default=())
    # HTCDS per victim and the screening (docs/investigation.md#htcds-fields)
    htcds: dict = field(default_factory=dict)


DEMO_VICTIMS = [
    DemoVictim(
        office="GBR",
        full_name="Nargis Qaswar Bibi",
        passport_number="DM1000001",
        cnic_number="35202-0000001-2",
        phone="+44 7700 900001",
        address="Flat 3, 10 Nowhere Lane, Luton",
        sex=Sex.FEMALE,
        age=24,
        exploitation=(Exploitation.DOMESTIC_SERVITUDE,),
        vulnerabilities=(Vulnerability.NO_DOCUMENTS, Vulnerability.DEBT),
        share_with=("BHC",),
        htcds={
            "recruitment_methods": ["job_offer"],
            "recruiter_relationship": "acquaintance",
            "means_of_control": ["withholds_documents", "isolation", "excessive_hours"],
            "labour_sectors": ["domestic_work"],
            "recruitment_platforms": ["whatsapp"],
            "screening_acts": ["recruitment", "transportation", "harbouring"],
            "screening_means": ["deception", "abuse_of_vulnerability"],
            "screening_purposes": ["domestic_servitude"],
        },
        referrals=(
            ("IOM", Service.SHELTER, ReferralStatus.COMPLETED),
            ("IOM", Service.RETURN, ReferralStatus.IN_PROGRESS),
            ("Inspire", Service.REINTEGRATION, ReferralStatus.COMPLETED),
        ),
    ),
    DemoVictim(
        office="GBR",
        full_name="Imran Khalidzai Durrani",
        passport_number="DM1000002",
        phone="+44 7700 900002",
        sex=Sex.MALE,
        age=31,
        exploitation=(Exploitation.FORCED_LABOUR,),
        status=IdentificationStatus.POSSIBLE,
        decided_by="",
        statistics=False,
        htcds={
            "recruitment_methods": ["job_offer", "debt"],
            "labour_sectors": ["construction"],
            "screening_acts": ["recruitment"],
            "screening_purposes": ["forced_labour"],
        },
        referrals=(("Inspire", Service.LEGAL_AID, ReferralStatus.PENDING),),
    ),
    DemoVictim(
        office="ITA",
        full_name="Shabnam Noorani Tarar",
        passport_number="DM1000003",
        cnic_number="61101-0000003-4",
        phone="+39 320 000 0003",
        sex=Sex.FEMALE,
        age=17,
        exploitation=(Exploitation.SEXUAL_EXPLOITATION,),
        decided_by=IdentifiedBy.NGO,
        vulnerabilities=(Vulnerability.UNACCOMPANIED_CHILD,),
        migration_status=MigrationStatus.ASYLUM_SEEKER,
        htcds={
            "recruitment_methods": ["marriage_offer"],
            "recruiter_relationship": "intimate_partner",
            "recruitment_platforms": ["instagram", "whatsapp"],
            "exploitation_platforms": ["adult_site"],
            "screening_acts": ["recruitment", "transportation", "receipt"],
            "screening_purposes": ["sexual_exploitation"],
        },
        referrals=(
            ("IOM", Service.MEDICAL, ReferralStatus.ACCEPTED),
            ("IOM", Service.FAMILY_TRACING, ReferralStatus.DECLINED),
        ),
    ),
    DemoVictim(
        office="GRC",
        full_name="Asif Zulfiqari Baloch",
        passport_number="DM1000004",
        phone="+30 690 000 0004",
        sex=Sex.MALE,
        age=27,
        exploitation=(Exploitation.FORCED_LABOUR,),
        decided_by=IdentifiedBy.COURT,
        referrals=(
            ("IOM", Service.PSYCHOSOCIAL, ReferralStatus.CLOSED),
            ("Inspire", Service.LIVELIHOOD, ReferralStatus.REVOKED),
        ),
    ),
    DemoVictim(
        office="ITA",
        full_name="Kiran Afridini Mahsud",
        passport_number="DM1000005",
        sex=Sex.FEMALE,
        age=38,
        exploitation=(Exploitation.FORCED_MARRIAGE,),
        status=IdentificationStatus.NOT_A_VICTIM,
        decided_by=IdentifiedBy.POLICE,
        migration_status=MigrationStatus.REGULAR,
        statistics=False,
    ),
]

DEMO_VICTIM_NAMES = [victim.full_name for victim in DEMO_VICTIMS]

# The services each status is reached through, in order, by the partner (or the office).
_PATH = {
    ReferralStatus.PENDING: [],
    ReferralStatus.ACCEPTED: ["accept"],
    ReferralStatus.DECLINED: ["decline"],
    ReferralStatus.IN_PROGRESS: ["accept", "progress"],
    ReferralStatus.COMPLETED: ["accept", "progress", "complete"],
    ReferralStatus.CLOSED: ["accept", "progress", "close"],
    ReferralStatus.REVOKED: ["revoke"],
}


def _case_for(ctx, office_code: str) -> Case | None:
    """The demo case of the office: from the cases demo when it handed them over, else the
    office's oldest case, else one opened here through the case services."""
    offered = getattr(ctx, "cases", None) or {}
    for case in offered.values() if isinstance(offered, dict) else offered:
        if case.lead_office.code == office_code:
            return case
    case = Case.objects.filter(lead_office__code=office_code).order_by("id").first()
    if case is not None:
        return case
    try:
        from cases.services import case_create
    except ImportError:  # the case services are not there: no demo victims for this office
        return None
    return case_create(
        acting_user=ctx.users[f"ilo.{office_code.lower()}"],
        lead_office=ctx.offices[office_code],
        kind=CaseKind.TIP,
        title="Recruitment for domestic work, victims held abroad",
    )


def _referral_path(ctx, referral, status: str, partner_user, officer) -> None:
    for step in _PATH[status]:
        if step == "accept":
            services.referral_accept(acting_user=partner_user, referral=referral)
        elif step == "decline":
            services.referral_decline(
                acting_user=partner_user, referral=referral, reason="No capacity in that region"
            )
        elif step == "progress":
            services.referral_progress(
                acting_user=partner_user, referral=referral, note="First meeting held"
            )
        elif step == "complete":
            services.referral_complete(acting_user=partner_user, referral=referral)
        elif step == "close":
            services.referral_close(
                acting_user=partner_user, referral=referral, note="Left the programme"
            )
        elif step == "revoke":
            services.referral_revoke(
                acting_user=officer, referral=referral, reason="Another provider was closer"
            )


def seed(ctx) -> None:
    """Create the demo victims with their consents, referrals and follow-ups (once)."""
    partner_users = {"IOM": ctx.users["iom.pk"], "Inspire": ctx.users["inspire.pk"]}
    today = dt.date.today()
    for number, spec in enumerate(DEMO_VICTIMS):
        if Victim.objects.filter(
            passport_index=document_index("passport", spec.passport_number)
        ).exists():
            continue
        case = _case_for(ctx, spec.office)
        if case is None:
            continue
        officer = ctx.users[f"ilo.{spec.office.lower()}"]
        identified_on = today - dt.timedelta(days=120 - 15 * number)
        consents = [{"purpose": ConsentPurpose.DATA_PROCESSING, "note": "In writing"}]
        if spec.statistics:
            consents.append({"purpose": ConsentPurpose.STATISTICS})
        for short in spec.share_with:
            consents.append({"purpose": ConsentPurpose.SHARING, "partner": ctx.partners[short]})
        for short, service, _status in spec.referrals:
            consents.append(
                {
                    "purpose": ConsentPurpose.REFERRAL,
                    "partner": ctx.partners[short],
                    "service": service,
                }
            )
        victim = services.victim_register(
            acting_user=officer,
            case=case,
            office=ctx.offices[spec.office],
            full_name=spec.full_name,
            date_of_birth=dt.date(identified_on.year - spec.age, 1 + number, 10 + number),
            passport_number=spec.passport_number,
            cnic_number=spec.cnic_number,
            phone=spec.phone,
            address=spec.address,
            sex=spec.sex,
            age_at_identification=spec.age,
            identified_on=identified_on,
            nationality="PAK",
            languages=["Urdu", "Punjabi"] if spec.office != "GRC" else ["Urdu", "Balochi"],
            identification_status=spec.status,
            identified_by=spec.decided_by,
            forms_of_exploitation=spec.exploitation,
            vulnerabilities=spec.vulnerabilities,
            migration_status=spec.migration_status,
            consents=consents,
            **spec.htcds,
        ).victim
        for short, service, status in spec.referrals:
            referral = services.referral_create(
                acting_user=officer,
                victim=victim,
                partner=ctx.partners[short],
                service=service,
                note="Please contact the link office before the first visit.",
            )
            _referral_path(ctx, referral, status, partner_users[short], officer)
            if service == Service.REINTEGRATION:
                first, second, third = services.followup_schedule(
                    acting_user=officer,
                    referral=referral,
                    # Planned from today (a plan is never in the past: glo_act/validation.py);
                    # the first is recorded at once, the second falls due tomorrow.
                    due_dates=[today, today + dt.timedelta(days=1), today + dt.timedelta(days=60)],
                )
                services.followup_record(
                    acting_user=partner_users[short],
                    followup=first,
                    economic_score=2,
                    social_score=3,
                    psychosocial_score=3,
                    notes="Back with family; looking for work.",
                )
    if ctx.stdout is not None:
        ctx.stdout.write(f"Victims: {Victim.objects.count()} in the database.")
