"""Demo data for offices, partners and users, from the UNODC/FIA workshop of July 2022.

Called by `manage.py seed_demo`; idempotent (looks up before it creates).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model

from liaison_offices import services
from liaison_offices.constants import HQ_CODE, OfficeStatus, PartnerKind, Role, Service
from liaison_offices.models import Country, LinkOffice, Membership, PartnerOrganisation

# The existing link offices (Greece, Iran, Oman) and the five opened in 2022.
OFFICES = [
    (HQ_CODE, "FIA Headquarters, Immigration Wing", "PAK", "Islamabad", None),
    ("GRC", "FIA Link Office Greece", "GRC", "Athens", None),
    ("IRN", "FIA Link Office Iran", "IRN", "Tehran", None),
    ("OMN", "FIA Link Office Oman", "OMN", "Muscat", None),
    ("ITA", "FIA Link Office Italy", "ITA", "Rome", dt.date(2022, 7, 1)),
    ("ESP", "FIA Link Office Spain", "ESP", "Madrid", dt.date(2022, 7, 1)),
    ("TUR", "FIA Link Office Turkey", "TUR", "Ankara", dt.date(2022, 7, 1)),
    ("ARE", "FIA Link Office UAE", "ARE", "Abu Dhabi", dt.date(2022, 7, 1)),
    ("GBR", "FIA Link Office United Kingdom", "GBR", "London", dt.date(2022, 7, 1)),
]

PARTNERS = [
    ("British High Commission", "BHC", PartnerKind.EMBASSY, "GBR", []),
    ("Embassy of Turkey", "Embassy TUR", PartnerKind.EMBASSY, "TUR", []),
    ("Embassy of Greece", "Embassy GRC", PartnerKind.EMBASSY, "GRC", []),
    (
        "Frontex — European Border and Coast Guard Agency",
        "Frontex",
        PartnerKind.LAW_ENFORCEMENT,
        "POL",
        [],
    ),
    ("United Nations Office on Drugs and Crime", "UNODC", PartnerKind.INTERNATIONAL, "PAK", []),
    (
        "International Organization for Migration",
        "IOM",
        PartnerKind.INTERNATIONAL,
        "PAK",
        [
            Service.RETURN,
            Service.REINTEGRATION,
            Service.SHELTER,
            Service.MEDICAL,
            Service.PSYCHOSOCIAL,
            Service.FAMILY_TRACING,
        ],
    ),
    (
        "Inspire Pakistan",
        "Inspire",
        PartnerKind.SERVICE_PROVIDER,
        "PAK",
        [
            Service.PSYCHOSOCIAL,
            Service.LEGAL_AID,
            Service.LIVELIHOOD,
            Service.EDUCATION,
            Service.REINTEGRATION,
        ],
    ),
]

# Fictional personas: no real official is meant (roles and titles are the real ones).
# username, first, last, organisation (office code or partner short name), role, title
USERS = [
    ("hq.admin", "Farhan", "Qadirzai", HQ_CODE, Role.HQ_ADMIN, "Director Immigration"),
    (
        "hq.adg",
        "Nasreen",
        "Malikzada",
        HQ_CODE,
        Role.OFFICE_LEAD,
        "Additional Director General",
    ),
    ("fp.gbr", "Harriet", "Pembleton", "BHC", Role.FOCAL_POINT, "Immigration Liaison Officer"),
    (
        "fp.tur",
        "Selin",
        "Karadumanli",
        "Embassy TUR",
        Role.FOCAL_POINT,
        "Immigration Liaison Officer",
    ),
    (
        "fp.grc",
        "Eleni",
        "Papadakou",
        "Embassy GRC",
        Role.FOCAL_POINT,
        "Police Liaison Officer",
    ),
    ("fp.frontex", "Frontex", "Liaison", "Frontex", Role.FOCAL_POINT, "Liaison Officer"),
    ("unodc.pk", "Rabia", "Hamdanifar", "UNODC", Role.FOCAL_POINT, "UNODC Consultant"),
    (
        "iom.pk",
        "Tahira",
        "Bukhtiar",
        "IOM",
        Role.CASEWORKER,
        "Programme Coordinator Migration Management",
    ),
    ("inspire.pk", "Mehwish", "Rizvani", "Inspire", Role.CASEWORKER, "Chief Executive Officer"),
]


class DemoContext:
    """What one app's demo seeding hands to the next: the objects by their demo keys."""

    def __init__(self, password: str, stdout=None):
        self.password = password
        self.stdout = stdout
        self.offices: dict[str, LinkOffice] = {}
        self.partners: dict[str, PartnerOrganisation] = {}
        self.users: dict = {}

    @property
    def hq_admin(self):
        return self.users["hq.admin"]


def seed(ctx: DemoContext) -> None:
    User = get_user_model()
    countries = {c.iso3: c for c in Country.objects.all()}
    for code, name, iso3, city, opened_on in OFFICES:
        office = LinkOffice.objects.filter(code=code).first()
        if office is None:
            office = services.office_create(
                acting_user=None,
                code=code,
                name=name,
                country=countries[iso3],
                city=city,
                opened_on=opened_on,
                status=OfficeStatus.ACTIVE,
            )
        ctx.offices[code] = office
    services.hq_permissions_sync()
    for name, short, kind, iso3, provided in PARTNERS:
        partner = PartnerOrganisation.objects.filter(name=name).first()
        if partner is None:
            partner = services.partner_create(
                acting_user=None,
                name=name,
                short_name=short,
                kind=kind,
                country=countries[iso3],
                services=[str(s) for s in provided],
            )
        ctx.partners[short] = partner

    officers = [
        (
            f"ilo.{code.lower()}",
            "Immigration Liaison",
            f"Officer {code}",
            code,
            Role.OFFICER,
            "Immigration Liaison Officer",
        )
        for code, *_ in OFFICES
        if code != HQ_CODE
    ]
    for username, first, last, org, role, title in USERS + officers:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@demo.glo-act.invalid",
                password=ctx.password,
            )
        elif (user.first_name, user.last_name) != (first, last):
            # A demo seeded before the personas were fictional carried real officials' names.
            user.first_name, user.last_name = first, last
            user.save(update_fields=["first_name", "last_name"])
        ctx.users[username] = user
        office = ctx.offices.get(org)
        partner = ctx.partners.get(org) if office is None else None
        if not Membership.objects.filter(
            user=user, office=office, partner=partner, ended_at__isnull=True
        ).exists():
            services.membership_add(
                acting_user=ctx.users.get("hq.admin"),
                user=user,
                role=role,
                office=office,
                partner=partner,
                title=title,
            )
