"""The fixed cast every test uses (healthchecks' alice/bob/charlie, for link offices).

- `uk`: an officer of the UK link office (London)
- `italy`: an officer of the Italy link office, who must get 404 on UK data
- `spain`: an officer of the Spain office, a bystander for "another country"
- `focal_point`: a focal point of the British High Commission (embassy focal point)
- `provider`: a caseworker of IOM (service provider)
- `hq`: the Director Immigration at HQ, Islamabad (sees everything, may use the admin)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from liaison_offices import services
from liaison_offices.constants import HQ_CODE, PartnerKind, Role, Service
from liaison_offices.models import Country, LinkOffice, PartnerOrganisation

PASSWORD = "cast-password-1234"


@dataclass
class Cast:
    offices: dict[str, LinkOffice] = field(default_factory=dict)
    partners: dict[str, PartnerOrganisation] = field(default_factory=dict)
    users: dict = field(default_factory=dict)

    def __getattr__(self, name):
        try:
            return self.__dict__["users"][name]
        except KeyError:
            raise AttributeError(name)


def make_user(username: str, **extra):
    return get_user_model().objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@example.org", **extra
    )


def build_cast() -> Cast:
    cast = Cast()
    country = {c.iso3: c for c in Country.objects.filter(iso3__in=["PAK", "GBR", "ITA", "ESP"])}
    for code, iso3, city in [
        (HQ_CODE, "PAK", "Islamabad"),
        ("GBR", "GBR", "London"),
        ("ITA", "ITA", "Rome"),
        ("ESP", "ESP", "Madrid"),
    ]:
        cast.offices[code] = services.office_create(
            acting_user=None, code=code, name=f"Office {code}", country=country[iso3], city=city
        )
    cast.partners["BHC"] = services.partner_create(
        acting_user=None,
        name="British High Commission",
        short_name="BHC",
        kind=PartnerKind.EMBASSY,
        country=country["GBR"],
    )
    cast.partners["IOM"] = services.partner_create(
        acting_user=None,
        name="International Organization for Migration",
        short_name="IOM",
        kind=PartnerKind.INTERNATIONAL,
        country=country["PAK"],
        services=[Service.SHELTER, Service.RETURN, Service.REINTEGRATION],
    )
    for key, username, org, role in [
        ("hq", "hq.director", HQ_CODE, Role.HQ_ADMIN),
        ("uk", "uk.officer", "GBR", Role.OFFICER),
        ("italy", "italy.officer", "ITA", Role.OFFICER),
        ("spain", "spain.officer", "ESP", Role.OFFICER),
        ("focal_point", "bhc.focal", "BHC", Role.FOCAL_POINT),
        ("provider", "iom.caseworker", "IOM", Role.CASEWORKER),
    ]:
        user = make_user(username, first_name=key.replace("_", " ").title(), last_name="Cast")
        services.membership_add(
            acting_user=None,
            user=user,
            role=role,
            office=cast.offices.get(org),
            partner=cast.partners.get(org),
        )
        user.refresh_from_db()
        cast.users[key] = user
    return cast
