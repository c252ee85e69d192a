"""`manage.py seed_bench`: a national-scale data set for the benchmarks (issue 8), fast and
deterministic by seed.

At `--scale 1`: 60 offices (HQ + 59 link offices), 60 partner organisations, 400 users,
100,000 cases with route legs, suspects and legal provisions, 50,000 shares (most live, some
expired or revoked), 300,000 timeline events, 250,000 victims with encrypted personal data and
100,000 in-app notifications. Offices, partners and office permission grants go through the
services (so groups and guardian rows are exactly what production makes); the bulk goes in by
`COPY` in batches, with explicit ids, and everything is ANALYZEd at the end.

Named users the benchmark relies on (all with the password from `BENCH_PASSWORD`):
- `bench.worst`: an officer of the first link office holding both office permissions on 39
  more (HQ grants, as for a joint investigation) — 40 desks, the worst case;
- `bench.median`: an officer of the office whose visible-case count is the median (one desk);
- `bench.poster`: an officer of the first link office, who posts messages on the "message
  cases" — cases led by that office and shared live, at full level or more (messages need
  it), with exactly five other offices and no partner: a message notifies five offices.

It lives in `victims`, the top app, because it creates rows of every app. The same seed and
scale give the same offices, users, references and rows (timestamps are anchored to a fixed
date, not to the clock).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import time
from collections import Counter, defaultdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from cases.constants import (
    AgeBand,
    CaseKind,
    CaseOutcome,
    CaseStatus,
    Exploitation,
    HandlingCode,
    LabourSector,
    MeansOfControl,
    RecruiterRelationship,
    RouteStage,
    Sex,
    ShareLevel,
    SuspectRole,
    TimelineKind,
    TransportMode,
)
from cases.grants import sync_case_grants
from cases.models import (
    Case,
    CaseReferenceCounter,
    CaseShare,
    LegalProvision,
    RouteLeg,
    Suspect,
    TimelineEvent,
)
from liaison_offices import services
from liaison_offices.constants import CHANGE_CASES, HQ_CODE, VIEW_CASES, PartnerKind, Role, Service
from liaison_offices.models import Country, LinkOffice, Membership
from victims.management.bulk_copy import copy_rows, next_id, optional_model, reset_sequence

DEFAULT_BENCH_PASSWORD = "glo-act-bench-2026"
# Every timestamp is relative to this instant, so a seed gives the same rows on any day.
ANCHOR = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
# Live shares' expiries lie far past the anchor; expired ones before it.
FAR_FUTURE = ANCHOR + dt.timedelta(days=5 * 365)

LINK_OFFICES = 59
PARTNERS = 60
USERS = 400
HQ_USERS = 4
OFFICERS_PER_OFFICE = 4
WORST_DESKS = 40
# A message is told to every office that sees the case except the author's (the lead office):
# five live office shares, so one message notifies five offices.
MESSAGE_CASE_OFFICES = 5

# The real link offices first (the eight of README), then other host countries in ISO order.
REAL_OFFICES = ["GRC", "IRN", "OMN", "ITA", "ESP", "TUR", "ARE", "GBR"]
PLACES = [
    "Lahore", "Gujranwala", "Sialkot", "Mandi Bahauddin", "Quetta", "Karachi", "Peshawar",
    "Islamabad", "Faisalabad", "Gujrat", "Taftan", "Mashhad", "Van", "Istanbul", "Athens",
    "Evros", "Lesbos", "Muscat", "Dubai", "Abu Dhabi", "Tripoli", "Lampedusa", "Rome",
    "Madrid", "Barcelona", "London", "Birmingham", "Izmir", "Zahedan", "Gwadar",
]  # fmt: skip
FIRST_NAMES = [
    "Ali", "Ahmed", "Bilal", "Hassan", "Imran", "Kamran", "Usman", "Zain", "Ayesha", "Fatima",
    "Hina", "Maryam", "Nadia", "Sana", "Zara", "Rabia", "Tariq", "Waqas", "Yasir", "Samina",
]  # fmt: skip
LAST_NAMES = [
    "Khan", "Ahmed", "Butt", "Chaudhry", "Malik", "Qureshi", "Raza", "Shah", "Siddiqui",
    "Hussain", "Iqbal", "Javed", "Mirza", "Sheikh", "Awan", "Baig", "Cheema", "Gondal",
]  # fmt: skip
STATUS_WEIGHTS = {
    CaseStatus.REPORTED: 25,
    CaseStatus.UNDER_INVESTIGATION: 35,
    CaseStatus.REFERRED_FOR_PROSECUTION: 12,
    CaseStatus.IN_COURT: 8,
    CaseStatus.CLOSED: 20,
}


class Command(BaseCommand):
    help = "Fill an empty database with the national-scale benchmark data (issue 8)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="Fraction of the full volume of cases, shares, events, victims (default 1.0).",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even though DEBUG is off (never on a production database).",
        )
        parser.add_argument(
            "--no-analyze", action="store_true", help="Skip ANALYZE at the end (tests)."
        )

    def handle(self, *args, seed: int, scale: float, force: bool, no_analyze: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off, so this looks like production: 400 users with a known password "
                "would be created. Run with DEBUG=1 against a benchmark database, or --force."
            )
        if connection.vendor != "postgresql":
            raise CommandError("seed_bench loads with COPY and needs PostgreSQL.")
        if not 0 < scale <= 10:
            raise CommandError("--scale must be in (0, 10].")
        if LinkOffice.objects.exists() or Case.objects.exists():
            raise CommandError(
                "This database already holds offices or cases. seed_bench fills an empty, "
                "migrated database (e.g. DATABASE_URL=postgres://…/glo_act_bench)."
            )
        self.verbosity = options.get("verbosity", 1)
        started = time.monotonic()
        seeder = BenchSeeder(seed=seed, scale=scale, log=self._log)
        with transaction.atomic():
            summary = seeder.run()
        if not no_analyze:
            self._log("analyze")
            with connection.cursor() as cursor:
                if connection.in_atomic_block:
                    cursor.execute("ANALYZE")
                else:
                    cursor.execute("VACUUM (ANALYZE)")
        summary["seconds"] = round(time.monotonic() - started, 1)
        self.stdout.write(json.dumps(summary, sort_keys=True))

    def _log(self, message: str) -> None:
        if self.verbosity >= 2:
            self.stderr.write(f"seed_bench {time.strftime('%H:%M:%S')} {message}")


# --- the seeder ---------------------------------------------------------------------------------


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _between(rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
    span = max((end - start).total_seconds(), 0)
    return start + dt.timedelta(seconds=int(rng.random() * span))


class BenchSeeder:
    """Builds the data set in memory table by table and COPYs it in."""

    def __init__(self, *, seed: int, scale: float, log):
        self.rng = random.Random(seed)
        self.seed = seed
        self.scale = scale
        self.log = log
        self.n_cases = max(int(round(100_000 * scale)), 60)
        self.n_shares = int(round(50_000 * scale))
        self.n_timeline = int(round(300_000 * scale))
        self.n_victims = int(round(250_000 * scale))
        self.n_notifications = int(round(100_000 * scale))
        self.password_hash = make_password(
            os.environ.get("BENCH_PASSWORD") or DEFAULT_BENCH_PASSWORD
        )

    def run(self) -> dict:
        self.log("offices and partners")
        self.offices_and_partners()
        self.log("cases")
        self.cases()
        self.log("shares")
        self.shares()
        self.log("users")
        self.users()
        self.log("case rows")
        self.copy_cases()
        self.log("route legs, suspects, legal provisions")
        self.legs_and_suspects()
        self.log("timeline")
        self.timeline()
        self.log("notifications")
        notifications = self.notifications()
        self.log("victims")
        victims = self.victims()
        for model in (Case, RouteLeg, Suspect, CaseShare, TimelineEvent):
            reset_sequence(model)
        return {
            "seed": self.seed,
            "scale": self.scale,
            "offices": len(self.offices) + 1,
            "partners": len(self.partners),
            "users": self.n_users,
            "cases": len(self.case_rows),
            "shares": len(self.share_rows),
            "timeline_events": self.n_timeline_rows,
            "victims": victims,
            "notifications": notifications,
            "worst_user": "bench.worst",
            "worst_desks": WORST_DESKS,
            "median_user": "bench.median",
            "median_office": self.median_office.code,
            "median_visible": self.visible_by_office[self.median_office.pk],
            "message_cases": [self.case_rows[i]["reference"] for i in self.message_cases],
        }

    # offices, partners ----------------------------------------------------------------------

    def offices_and_partners(self) -> None:
        countries = {c.iso3: c for c in Country.objects.order_by("iso3")}
        others = [iso3 for iso3 in countries if iso3 not in REAL_OFFICES and iso3 != "PAK"]
        codes = REAL_OFFICES + others[: LINK_OFFICES - len(REAL_OFFICES)]
        if len(codes) < LINK_OFFICES:
            raise CommandError("The country table is not loaded (migrate first).")
        self.hq = services.office_create(
            acting_user=None,
            code=HQ_CODE,
            name="FIA Headquarters, Immigration Wing",
            country=countries["PAK"],
            city="Islamabad",
        )
        self.offices = []  # link offices only, in a fixed order
        for code in codes:
            self.offices.append(
                services.office_create(
                    acting_user=None,
                    code=code,
                    name=f"FIA Link Office {countries[code].name}"[:120],
                    country=countries[code],
                    city=self.rng.choice(PLACES),
                    opened_on=dt.date(2015 + self.rng.randrange(8), 7, 1),
                )
            )
        kinds = (
            [PartnerKind.EMBASSY] * 30
            + [PartnerKind.LAW_ENFORCEMENT] * 10
            + [PartnerKind.INTERNATIONAL] * 10
            + [PartnerKind.SERVICE_PROVIDER] * 10
        )
        self.partners = []
        for i, kind in enumerate(kinds[:PARTNERS]):
            country = countries[codes[i % len(codes)]]
            if kind == PartnerKind.EMBASSY:
                name = f"Embassy of {country.name}"
            elif kind == PartnerKind.LAW_ENFORCEMENT:
                name = f"Border Police of {country.name}"
            elif kind == PartnerKind.INTERNATIONAL:
                name = f"International Mission {i:02d} ({country.name})"
            else:
                name = f"Shelter Network {i:02d} ({country.name})"
            partner_services = (
                self.rng.sample(Service.values, 3) if kind == PartnerKind.SERVICE_PROVIDER else []
            )
            self.partners.append(
                services.partner_create(
                    acting_user=None,
                    name=name[:160],
                    short_name=f"P{i:02d}",
                    kind=kind,
                    country=country,
                    services=partner_services,
                )
            )

    # cases ------------------------------------------------------------------------------------

    def cases(self) -> None:
        rng = self.rng
        start = ANCHOR - dt.timedelta(days=4 * 365)
        raw = []
        for _ in range(self.n_cases):
            created = _between(rng, start, ANCHOR)
            raw.append((created, rng.randrange(LINK_OFFICES)))
        # Message cases: led by the first office, each shared with four others (see shares()).
        n_message = max(5, int(round(50 * self.scale)))
        raw.sort(key=lambda item: item[0])
        first_office_cases = [i for i, (_, office) in enumerate(raw) if office == 0]
        self.message_cases = first_office_cases[-n_message:]
        counters: Counter = Counter()
        self.case_rows = []
        case_id = next_id(Case)
        form_values = Exploitation.values
        for index, (created, office_index) in enumerate(raw):
            office = self.offices[office_index]
            kind = CaseKind.TIP if rng.random() < 0.6 else CaseKind.SOM
            counters[(office.pk, created.year)] += 1
            sequence = counters[(office.pk, created.year)]
            status = _weighted(rng, STATUS_WEIGHTS)
            updated = _between(rng, created, min(ANCHOR, created + dt.timedelta(days=365)))
            forms = []
            sector = ""
            if kind == CaseKind.TIP:
                forms = sorted(rng.sample(form_values, rng.choice((1, 1, 1, 2))))
                if Exploitation.FORCED_LABOUR in forms:
                    sector = rng.choice(LabourSector.values)
            place = rng.choice(PLACES)
            self.case_rows.append(
                {
                    "id": case_id + index,
                    "reference": f"{office.code}-{kind}-{created.year}-{sequence:04d}",
                    "kind": kind,
                    "lead_office_id": office.pk,
                    "title": (
                        f"{'Trafficking' if kind == CaseKind.TIP else 'Smuggling'} ring "
                        f"via {place} ({rng.choice(LAST_NAMES)} network)"
                    ),
                    "summary": (
                        f"Reported by the {office.code} office. Victims recruited in "
                        f"{rng.choice(PLACES)} with promises of work, moved through {place}. "
                        f"{rng.randrange(1, 12)} persons involved."
                    ),
                    "status": status,
                    "outcome": (
                        rng.choice(CaseOutcome.values) if status == CaseStatus.CLOSED else ""
                    ),
                    "forms_of_exploitation": forms,
                    "labour_sector": sector,
                    "means_of_control": sorted(
                        rng.sample(MeansOfControl.values, rng.randrange(0, 4))
                    ),
                    "recruiter_relationship": rng.choice(RecruiterRelationship.values),
                    "host_country_law": "",
                    "version": 1 + rng.randrange(6),
                    "created_at": created,
                    "updated_at": updated,
                    "closed_at": updated if status == CaseStatus.CLOSED else None,
                    "_office_index": office_index,
                }
            )
        self.counters = counters

    # shares -----------------------------------------------------------------------------------

    def shares(self) -> None:
        rng = self.rng
        taken: set[tuple[int, str, int]] = set()
        self.share_rows = []
        share_id = next_id(CaseShare)
        visible: dict[int, set[int]] = defaultdict(set)
        for row in self.case_rows:
            visible[row["lead_office_id"]].add(row["id"])

        def add(
            case_index: int, *, office=None, partner=None, state: str = "live", levels=None
        ) -> None:
            case = self.case_rows[case_index]
            key = (case["id"], "o" if office else "p", (office or partner).pk)
            if key in taken or (office is not None and office.pk == case["lead_office_id"]):
                return
            taken.add(key)
            created = _between(rng, case["created_at"], ANCHOR)
            code = rng.choice(HandlingCode.values)
            expires = None
            revoked = None
            if state == "live" and rng.random() < 0.2:
                expires = _between(rng, ANCHOR + dt.timedelta(days=365), FAR_FUTURE)
            elif state == "expired":
                expires = _between(rng, created, ANCHOR)
            elif state == "revoked":
                revoked = _between(rng, created, ANCHOR)
            self.share_rows.append(
                {
                    "id": share_id + len(self.share_rows),
                    "case_id": case["id"],
                    "office_id": office.pk if office else None,
                    "partner_id": partner.pk if partner else None,
                    "level": rng.choice(levels or ShareLevel.values),
                    "handling_code": code,
                    "handling_conditions": (
                        "Not to be passed to third countries." if code == HandlingCode.H3 else ""
                    ),
                    "expires_at": expires,
                    "created_at": created,
                    "revoked_at": revoked,
                    "_case_index": case_index,
                }
            )
            if office is not None and state == "live":
                visible[office.pk].add(case["id"])

        # Each message case is shared live with exactly five offices, and with nobody else, at
        # a level that shows messages (full or more), so that all five are told of a message.
        for n, case_index in enumerate(self.message_cases):
            for k in range(MESSAGE_CASE_OFFICES):
                office = self.offices[WORST_DESKS + (n + k) % (LINK_OFFICES - WORST_DESKS)]
                add(
                    case_index,
                    office=office,
                    levels=[ShareLevel.FULL, ShareLevel.FULL_WITH_VICTIMS],
                )
        reserved = set(self.message_cases)
        candidates = [i for i in range(len(self.case_rows)) if i not in reserved]
        while len(self.share_rows) < self.n_shares:
            case_index = rng.choice(candidates)
            state = _weighted(rng, {"live": 88, "expired": 7, "revoked": 5})
            if rng.random() < 0.84:
                add(case_index, office=rng.choice(self.offices), state=state)
            else:
                add(case_index, partner=rng.choice(self.partners), state=state)
        self.visible_by_office = {office.pk: len(visible[office.pk]) for office in self.offices}
        # The median user's office: median visible count among the offices the worst user does
        # not already hold (so the two users are distinct cases).
        ranked = sorted(self.offices[WORST_DESKS:], key=lambda o: self.visible_by_office[o.pk])
        self.median_office = ranked[len(ranked) // 2]

    # users ------------------------------------------------------------------------------------

    def users(self) -> None:
        rng = self.rng
        User = get_user_model()
        people = []  # (username, organisation, role)
        for i in range(HQ_USERS):
            people.append((f"hq.bench{i + 1}", self.hq, Role.HQ_ADMIN))
        for index, office in enumerate(self.offices):
            for n in range(OFFICERS_PER_OFFICE):
                username = f"ilo.{office.code.lower()}.{n + 1}"
                if index == 0 and n == 1:
                    username = "bench.worst"
                elif index == 0 and n == 2:
                    username = "bench.poster"
                elif office == self.median_office and n == 1:
                    username = "bench.median"
                people.append((username, office, Role.OFFICE_LEAD if n == 0 else Role.OFFICER))
        remaining = USERS - len(people)
        for n in range(remaining):
            partner = self.partners[n % len(self.partners)]
            role = Role.FOCAL_POINT if n < len(self.partners) else Role.CASEWORKER
            people.append(
                (f"{partner.short_name.lower()}.{n // len(self.partners) + 1}", partner, role)
            )
        users = [
            User(
                username=username,
                email=f"{username}@bench.example.org",
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(LAST_NAMES),
                password=self.password_hash,
                is_staff=role == Role.HQ_ADMIN,
                is_active=True,
            )
            for username, _, role in people
        ]
        User.objects.bulk_create(users, batch_size=500)
        users = {u.username: u for u in User.objects.filter(username__in=[p[0] for p in people])}
        memberships = []
        in_group = []
        through = User.groups.through
        for username, organisation, role in people:
            is_office = isinstance(organisation, LinkOffice)
            memberships.append(
                Membership(
                    user=users[username],
                    office=organisation if is_office else None,
                    partner=None if is_office else organisation,
                    role=role,
                    title="Immigration Liaison Officer" if is_office else "Focal point",
                )
            )
            in_group.append(through(user_id=users[username].pk, group_id=organisation.group_id))
        Membership.objects.bulk_create(memberships, batch_size=500)
        through.objects.bulk_create(in_group, batch_size=500)
        self.n_users = len(users)
        worst = users["bench.worst"]
        for office in self.offices[1:WORST_DESKS]:
            for permission in (VIEW_CASES, CHANGE_CASES):
                services.office_permission_grant(
                    acting_user=None,
                    office=office,
                    permission=permission,
                    user=worst,
                    reason="Joint investigation",
                )
        self.officers_by_office: dict[int, list[int]] = defaultdict(list)
        self.members_by_partner: dict[int, list[int]] = defaultdict(list)
        for username, organisation, _ in people:
            if isinstance(organisation, LinkOffice):
                self.officers_by_office[organisation.pk].append(users[username].pk)
            else:
                self.members_by_partner[organisation.pk].append(users[username].pk)
        self.hq_user_ids = self.officers_by_office.pop(self.hq.pk)
        assert Group.objects.filter(pk=self.hq.group_id).exists()

    # bulk rows --------------------------------------------------------------------------------

    def copy_cases(self) -> None:
        rng = self.rng
        for row in self.case_rows:
            officers = self.officers_by_office[row["lead_office_id"]]
            row["created_by_id"] = rng.choice(officers)
            row["updated_by_id"] = rng.choice(officers)
        copy_rows(Case, self.case_rows)
        for share in self.share_rows:
            case = self.case_rows[share["_case_index"]]
            share["shared_by_id"] = case["created_by_id"]
            if share["revoked_at"]:
                share["revoked_by_id"] = case["created_by_id"]
        copy_rows(CaseShare, self.share_rows)
        sync_case_grants(None)  # what the case services write with each case and share
        CaseReferenceCounter.objects.bulk_create(
            [
                CaseReferenceCounter(office_id=office_id, year=year, last_value=value)
                for (office_id, year), value in sorted(self.counters.items())
            ],
            batch_size=1000,
        )

    def legs_and_suspects(self) -> None:
        rng = self.rng
        countries = list(Country.objects.order_by("iso3").values_list("iso3", flat=True))
        office_country = {o.pk: o.country_id for o in self.offices}
        provisions = list(LegalProvision.objects.order_by("id").values_list("id", "act"))
        leg_id = next_id(RouteLeg)
        suspect_id = next_id(Suspect)
        legs, suspects, links = [], [], []
        through = Case.legal_provisions.through
        link_id = next_id(through)
        stages = [RouteStage.RECRUITMENT, RouteStage.TRANSIT, RouteStage.EXPLOITATION]
        for row in self.case_rows:
            n_legs = rng.choice((1, 2, 2, 3, 3, 4))
            date = row["created_at"].date() - dt.timedelta(days=rng.randrange(30, 400))
            for position in range(n_legs):
                if position == 0:
                    stage, country = stages[0], "PAK"
                elif position == n_legs - 1:
                    stage, country = stages[2], office_country[row["lead_office_id"]]
                else:
                    stage, country = stages[1], rng.choice(countries)
                date += dt.timedelta(days=rng.randrange(1, 60))
                legs.append(
                    {
                        "id": leg_id + len(legs),
                        "case_id": row["id"],
                        "position": position,
                        "stage": stage,
                        "country_id": country,
                        "place": rng.choice(PLACES),
                        "mode": rng.choice(TransportMode.values),
                        "date": date,
                    }
                )
            for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
                suspects.append(
                    {
                        "id": suspect_id + len(suspects),
                        "case_id": row["id"],
                        "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                        "role": rng.choice(SuspectRole.values),
                        "nationality_id": rng.choice(("PAK", "PAK", rng.choice(countries))),
                        "sex": rng.choice((Sex.MALE, Sex.MALE, Sex.FEMALE, Sex.UNKNOWN)),
                        "age_band": rng.choice(AgeBand.values),
                    }
                )
            act = "PTPA_2018" if row["kind"] == CaseKind.TIP else "PSMA_2018"
            matching = [pk for pk, provision_act in provisions if provision_act == act]
            if matching:
                links.append(
                    {
                        "id": link_id + len(links),
                        "case_id": row["id"],
                        "legalprovision_id": rng.choice(matching),
                    }
                )
        copy_rows(RouteLeg, legs)
        copy_rows(Suspect, suspects)
        copy_rows(through, links)
        reset_sequence(through)

    def timeline(self) -> None:
        rng = self.rng
        events = []
        event_id = next_id(TimelineEvent)
        cases = self.case_rows
        for row in cases:
            events.append(
                {
                    "id": event_id + len(events),
                    "case_id": row["id"],
                    "kind": TimelineKind.CREATED,
                    "actor_id": row["created_by_id"],
                    "summary": f"Case {row['reference']} opened",
                    "changes": {},
                    "created_at": row["created_at"],
                }
            )
        kinds = {
            TimelineKind.EDITED: 40,
            TimelineKind.STATUS_CHANGED: 20,
            TimelineKind.MESSAGE: 25,
            TimelineKind.SHARED: 10,
            TimelineKind.VICTIM_LINKED: 5,
        }
        while len(events) < self.n_timeline:
            row = cases[rng.randrange(len(cases))]
            kind = _weighted(rng, kinds)
            changes = {}
            if kind == TimelineKind.EDITED:
                changes = {"title": ["(earlier title)", row["title"]]}
                summary = "Edited: title"
            elif kind == TimelineKind.STATUS_CHANGED:
                changes = {"status": [CaseStatus.REPORTED, row["status"]]}
                summary = f"Status changed to {row['status']}"
            else:
                summary = str(kind.label)
            events.append(
                {
                    "id": event_id + len(events),
                    "case_id": row["id"],
                    "kind": kind,
                    "actor_id": row["updated_by_id"],
                    "summary": summary,
                    "changes": changes,
                    "created_at": _between(rng, row["created_at"], row["updated_at"]),
                }
            )
        copy_rows(TimelineEvent, events)
        self.n_timeline_rows = len(events)

    def notifications(self) -> int:
        Event = optional_model("liaison_offices.NotificationEvent")
        Notification = optional_model("liaison_offices.Notification")
        Delivery = optional_model("liaison_offices.Delivery")
        if Event is None or Notification is None:
            self.log("no notification tables yet: skipped")
            return 0
        from django.contrib.contenttypes.models import ContentType

        rng = self.rng
        case_type = ContentType.objects.get_for_model(Case)
        per_event = 4
        event_id = next_id(Event)
        notification_id = next_id(Notification)
        delivery_id = next_id(Delivery) if Delivery else 0
        events, notifications, deliveries = [], [], []
        while len(notifications) < self.n_notifications:
            row = self.case_rows[rng.randrange(len(self.case_rows))]
            created = _between(rng, row["created_at"], ANCHOR)
            officers = self.officers_by_office[row["lead_office_id"]]
            event = {
                "id": event_id + len(events),
                "kind": "case_message",
                "subject_type_id": case_type.pk,
                "subject_id": row["id"],
                "subject_label": row["reference"],
                "subject_url": f"/cases/{row['reference']}/",
                "payload": {"reference": row["reference"]},
                "actor_id": row["updated_by_id"],
                "office_ids": [row["lead_office_id"]],
                "partner_ids": [],
                "user_ids": [],
                "status": "done",
                "attempts": 1,
                "created_at": created,
                "planned_at": created,
                "dispatched_at": created + dt.timedelta(seconds=1),
            }
            events.append(event)
            for user_id in officers[:per_event]:
                if len(notifications) >= self.n_notifications:
                    break
                read = rng.random() < 0.7
                notifications.append(
                    {
                        "id": notification_id + len(notifications),
                        "event_id": event["id"],
                        "user_id": user_id,
                        "kind": "case_message",
                        "title": f"New message on {row['reference']}",
                        "text": "",
                        "url": event["subject_url"],
                        "created_at": created,
                        "read_at": created + dt.timedelta(hours=rng.randrange(1, 72))
                        if read
                        else None,
                    }
                )
                if Delivery is not None:
                    deliveries.append(
                        {
                            "id": delivery_id + len(deliveries),
                            "event_id": event["id"],
                            "channel": "in_app",
                            "user_id": user_id,
                            "partner_id": None,
                            "status": "sent",
                            "attempts": 1,
                            "next_attempt_at": created,
                            "delivered_at": created + dt.timedelta(seconds=1),
                            "created_at": created,
                        }
                    )
        copy_rows(Event, events)
        copy_rows(Notification, notifications)
        reset_sequence(Event)
        reset_sequence(Notification)
        if Delivery is not None:
            copy_rows(Delivery, deliveries)
            reset_sequence(Delivery)
        return len(notifications)

    def victims(self) -> int:
        """Victims with encrypted personal data (the fields encrypt through their own
        `get_db_prep_save`), blind indexes, a link to one case (some to two) and consents."""
        Victim = optional_model("victims.Victim")
        if Victim is None:
            self.log("no victims table yet: skipped")
            return 0
        from victims.constants import ConsentPurpose, IdentificationStatus, MigrationStatus
        from victims.crypto import document_index, name_dob_index
        from victims.models import Consent, VictimCaseLink, VictimCodeCounter

        rng = self.rng
        cases = self.case_rows
        office_code = {o.pk: o.code for o in self.offices}
        counters: Counter = Counter()
        victim_id = next_id(Victim)
        link_id = next_id(VictimCaseLink)
        consent_id = next_id(Consent)
        victims, links, consents = [], [], []
        for n in range(self.n_victims):
            case = cases[rng.randrange(len(cases))]
            office_id = case["lead_office_id"]
            created = _between(rng, case["created_at"], case["updated_at"])
            counters[(office_id, created.year)] += 1
            sequence = counters[(office_id, created.year)]
            code = f"V-{office_code[office_id]}-{created.year}-{sequence:04d}"
            age = rng.choice((None, rng.randrange(6, 18), rng.randrange(18, 60)))
            full_name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            born = dt.date(created.year - (age or 30), 1, 1) + dt.timedelta(days=rng.randrange(365))
            passport = f"{rng.choice('ABCDEFGH')}{rng.choice('ABCDEFGH')}{rng.randrange(10**7):07d}"
            cnic = f"{rng.randrange(10**5):05d}-{rng.randrange(10**7):07d}-{rng.randrange(10)}"
            victim = {
                "id": victim_id + n,
                "code": code,
                "recorded_by_office_id": office_id,
                "full_name": full_name,
                "date_of_birth": born,
                "passport_number": passport,
                "cnic_number": cnic,
                "phone": f"+92 3{rng.randrange(10**9):09d}",
                "address": f"House {rng.randrange(1, 900)}, {rng.choice(PLACES)}",
                "passport_index": document_index("passport", passport),
                "cnic_index": document_index("cnic", cnic),
                "name_dob_index": name_dob_index(full_name, born),
                "sex": rng.choice((Sex.MALE, Sex.MALE, Sex.FEMALE, Sex.FEMALE, Sex.UNKNOWN)),
                "age_at_identification": age,
                "age_band": AgeBand.UNKNOWN if age is None else _age_band(age),
                "is_child": age is not None and age < 18,
                "identified_on": created.date(),
                "nationality_id": "PAK" if rng.random() < 0.8 else None,
                "languages": ["urd"] if rng.random() < 0.7 else ["urd", "pan"],
                "identification_status": rng.choice(IdentificationStatus.values),
                "identified_by": "",
                "forms_of_exploitation": case["forms_of_exploitation"],
                "vulnerabilities": [],
                "migration_status": rng.choice(MigrationStatus.values),
                "recorded_by_id": case["created_by_id"],
                "created_at": created,
                "updated_at": created,
            }
            victims.append(victim)
            linked = [case]
            if rng.random() < 0.05:
                linked.append(cases[rng.randrange(len(cases))])
            for other in {c["id"]: c for c in linked}.values():
                links.append(
                    {
                        "id": link_id + len(links),
                        "victim_id": victim["id"],
                        "case_id": other["id"],
                        "linked_at": created,
                        "linked_by_id": case["created_by_id"],
                    }
                )
            for purpose, share in (
                (ConsentPurpose.DATA_PROCESSING, 0.8),
                (ConsentPurpose.STATISTICS, 0.5),
            ):
                if rng.random() < share:
                    consents.append(
                        {
                            "id": consent_id + len(consents),
                            "victim_id": victim["id"],
                            "purpose": purpose,
                            "recorded_by_id": case["created_by_id"],
                            "recorded_at": created,
                        }
                    )
        copy_rows(Victim, victims, batch=10_000)
        copy_rows(VictimCaseLink, links)
        copy_rows(Consent, consents)
        VictimCodeCounter.objects.bulk_create(
            [
                VictimCodeCounter(office_id=office_id, year=year, last_value=value)
                for (office_id, year), value in sorted(counters.items())
            ],
            batch_size=1000,
        )
        for model in (Victim, VictimCaseLink, Consent):
            reset_sequence(model)
        return len(victims)


def _age_band(age: int) -> str:
    from cases.constants import age_band_for

    return age_band_for(age)
