"""Demo people of interest (`seed_demo`): identifiers that meet across the demo cases.

- The Zahedan driver of Turkey's smuggling case and the ransom caller of Iran's case use the
  same Iranian number, written two ways: Iran holds Turkey's case through a full share, so
  each sees the other case as a link.
- The recruiter of the UK's construction case is "Muhammad Asif"; the agency of the UAE's
  servitude case records its owner as "محمد آصف": the spelling key makes them meet, and the UK
  officer, who may not see the UAE case, is told only that ARE holds a case with this name.
- The boat organiser of Spain's sea case and the skipper of Italy's share a vessel name.

Idempotent: a case that already has people is left as it is. Written through
`people.services`, so timelines say what was added.
"""

from __future__ import annotations

from cases.models import Case
from people import services
from people.models import PersonOfInterest

# (case key, suspect name or None, role, label, identifiers)
DEMO_PEOPLE = [
    ("tur-route", "Driver, Zahedan", "suspect", "", [("phone", "+98 915 123 4567")]),
    (
        "tur-route",
        "Hawala agent, Istanbul",
        "suspect",
        "",
        [("bank", "HWL-IST-2291"), ("name", "Haji Rasheed")],
    ),
    (
        "irn-ransom",
        "Caller using Iranian numbers",
        "suspect",
        "",
        [("phone", "0098 915 1234567")],
    ),
    ("irn-ransom", None, "witness", "Brother of a migrant held", [("phone", "0301 7654321")]),
    ("gbr-labour", None, "suspect", "Recruiter in Mirpur", [("name", "Muhammad Asif")]),
    (
        "are-servitude",
        "Recruitment agency, Faisalabad",
        "suspect",
        "",
        [("name", "محمد آصف"), ("social", "@gulf.jobs.fsd")],
    ),
    ("ita-sea", None, "other", "Fishing boat", [("vehicle", "Al Noor 3")]),
    ("esp-sea", "Boat organiser", "suspect", "", [("vehicle", "AL-NOOR 3")]),
]


def seed(ctx) -> None:
    cases = getattr(ctx, "cases", None) or {}
    for key, suspect_name, role, label, identifiers in DEMO_PEOPLE:
        case = cases.get(key)
        if not isinstance(case, Case):
            continue
        if PersonOfInterest.objects.filter(case=case, label=label or suspect_name).exists():
            continue
        officer = ctx.users.get(f"ilo.{case.lead_office.code.lower()}")
        if officer is None:
            continue
        suspect = None
        if suspect_name:
            suspect = case.suspects.filter(name=suspect_name).first()
            if suspect is None:
                continue
        person = services.person_add(
            acting_user=officer, case=case, role=role, label=label, suspect=suspect
        )
        for kind, value in identifiers:
            services.identifier_add(acting_user=officer, person=person, kind=kind, value=value)
