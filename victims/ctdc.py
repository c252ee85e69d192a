"""An anonymised, record-level export for HQ, in the shape of CTDC's data (HTCDS fields).

One row per victim who consented to use in statistics: year of identification, sex, age band,
citizenship, country of exploitation, forms of exploitation, means of control and recruiter
relation. Every one of these can single a person out in combination, so all of them are
quasi-identifiers: the export generalises them (year ranges, coarser age bands, regions instead
of countries, groups of forms, "*") until every combination that is published occurs at least
k times (`STATS_MIN_CELL`), withholding the few rows still in smaller groups. This is the
Datafly method: generalise the attribute with the most distinct values first, stop when the
rows left in small groups are few enough to withhold. The first lines of the file say the k
reached, how many rows were withheld and how far each field was generalised.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from audit import services as audit
from cases.constants import SEXUAL_FORMS, AgeBand, RecruiterRelationship, RouteStage
from cases.models import RouteLeg
from cases.stats import min_cell
from liaison_offices import access
from victims.models import Victim, VictimCaseLink

ANY = "*"
FIELDS = [
    "year",
    "sex",
    "age_band",
    "citizenship",
    "country_of_exploitation",
    "forms_of_exploitation",
    "means_of_control",
    "recruiter_relation",
]

# UN geoscheme regions of the countries the link offices meet most; any other country is
# "Other" at the region level.
REGIONS = {
    "Southern Asia": "AFG BGD BTN IND IRN LKA MDV NPL PAK",
    "Western Asia": "ARE ARM AZE BHR CYP GEO IRQ ISR JOR KWT LBN OMN PSE QAT SAU SYR TUR YEM",
    "Central Asia": "KAZ KGZ TJK TKM UZB",
    "Eastern and South-Eastern Asia": "CHN HKG IDN JPN KHM KOR LAO MMR MYS PHL SGP THA VNM",
    "Northern and Western Europe": "AUT BEL CHE DEU DNK FIN FRA GBR IRL ISL LUX NLD NOR SWE",
    "Southern Europe": "ALB BIH ESP GRC HRV ITA MKD MLT MNE PRT SRB SVN XKX",
    "Eastern Europe": "BGR BLR CZE HUN MDA POL ROU RUS SVK UKR",
    "Northern Africa": "DZA EGY LBY MAR SDN TUN",
    "Sub-Saharan Africa": "AGO BFA CMR COD ERI ETH GHA GIN KEN MLI NER NGA SEN SOM TZA UGA",
    "Americas": "ARG BRA CAN CHL COL MEX PER USA VEN",
    "Oceania": "AUS NZL",
}
REGION_OF = {iso3: region for region, codes in REGIONS.items() for iso3 in codes.split()}

COARSE_AGE = {
    AgeBand.A0_8: "0–17",
    AgeBand.A9_17: "0–17",
    AgeBand.A18_20: "18–29",
    AgeBand.A21_23: "18–29",
    AgeBand.A24_26: "18–29",
    AgeBand.A27_29: "18–29",
    AgeBand.A30_38: "30–47",
    AgeBand.A39_47: "30–47",
    AgeBand.A48_PLUS: "48+",
}
KNOWN_PERSON = {
    RecruiterRelationship.INTIMATE_PARTNER,
    RecruiterRelationship.FAMILY,
    RecruiterRelationship.FRIEND,
    RecruiterRelationship.ACQUAINTANCE,
}


def _year(level: int, value: int | None) -> str:
    if value is None:
        return "unknown"
    if level == 0:
        return str(value)
    width = 2 if level == 1 else 5
    start = value - (value % width)
    return f"{start}–{start + width - 1}"


def _age(level: int, band: str) -> str:
    if band == AgeBand.UNKNOWN:
        return "unknown"
    if level == 0:
        return str(AgeBand(band).label)
    if level == 1:
        return COARSE_AGE[band]
    return "child" if band in (AgeBand.A0_8, AgeBand.A9_17) else "adult"


def _country(level: int, iso3: str | None) -> str:
    if not iso3:
        return "unknown"
    return iso3 if level == 0 else REGION_OF.get(iso3, "Other")


def _forms(level: int, forms: Sequence[str]) -> str:
    if not forms:
        return "unknown"
    if level == 0:
        return ";".join(sorted(set(forms)))
    groups = {
        "sexual" if f in SEXUAL_FORMS else ("labour" if "labour" in f else "other") for f in forms
    }
    return ";".join(sorted(groups))


def _means(level: int, means: Sequence[str]) -> str:
    if not means:
        return "unknown"
    return ";".join(sorted(set(means))) if level == 0 else "recorded"


def _recruiter(level: int, relation: str) -> str:
    if not relation or relation == RecruiterRelationship.UNKNOWN:
        return "unknown"
    if level == 0:
        return relation
    return "known person" if relation in KNOWN_PERSON else relation


@dataclass(frozen=True)
class Hierarchy:
    """How one field is published at each level of generalisation; the last level is ANY."""

    field: str
    levels: tuple[str, ...]  # what each level is called, for the file's header
    publish: Callable[[int, object], str]

    @property
    def top(self) -> int:
        return len(self.levels) - 1

    def value(self, level: int, raw) -> str:
        return ANY if level >= self.top else self.publish(level, raw)


HIERARCHIES = [
    Hierarchy("year", ("year", "2-year range", "5-year range", "withheld"), _year),
    Hierarchy("sex", ("as recorded", "withheld"), lambda level, v: v),
    Hierarchy("age_band", ("CTDC band", "coarse band", "child/adult", "withheld"), _age),
    Hierarchy("citizenship", ("country", "region", "withheld"), _country),
    Hierarchy("country_of_exploitation", ("country", "region", "withheld"), _country),
    Hierarchy("forms_of_exploitation", ("forms", "labour/sexual/other", "withheld"), _forms),
    Hierarchy("means_of_control", ("means", "recorded or not", "withheld"), _means),
    Hierarchy("recruiter_relation", ("relation", "coarse relation", "withheld"), _recruiter),
]


@dataclass
class Export:
    rows: list[tuple[str, ...]]  # published rows, one value per FIELDS entry
    withheld: int
    levels: dict[str, int]
    k_required: int

    @property
    def k_reached(self) -> int:
        """The size of the smallest published group of identical rows (0: nothing published)."""
        counts = Counter(self.rows)
        return min(counts.values()) if counts else 0


def anonymise(records: Sequence[dict], k: int, *, withhold_at_most: float = 0.05) -> Export:
    """Generalise `records` (raw values keyed by FIELDS) until the rows in groups smaller than
    k are at most `withhold_at_most` of them or fewer than k (or every field is withheld);
    withhold those rows. Every published combination then occurs at least k times.
    """
    levels = {h.field: 0 for h in HIERARCHIES}

    def generalised() -> list[tuple[str, ...]]:
        return [
            tuple(h.value(levels[h.field], record[h.field]) for h in HIERARCHIES)
            for record in records
        ]

    while True:
        rows = generalised()
        counts = Counter(rows)
        small = sum(n for n in counts.values() if n < k)
        if small <= max(withhold_at_most * len(rows), k - 1):
            break
        open_fields = [h for h in HIERARCHIES if levels[h.field] < h.top]
        if not open_fields:
            break
        # The field with the most distinct values published splits the records most.
        position = {h.field: i for i, h in enumerate(HIERARCHIES)}
        widest = max(
            open_fields,
            key=lambda h: (len({row[position[h.field]] for row in rows}), -position[h.field]),
        )
        levels[widest.field] += 1
    kept = [row for row in rows if counts[row] >= k]
    return Export(rows=kept, withheld=len(rows) - len(kept), levels=levels, k_required=k)


def records_for(user) -> list[dict]:
    """The raw HTCDS values of the victims `user` sees who consented to use in statistics."""
    victims = list(
        Victim.objects.visible_to(user)
        .for_statistics()
        .order_by("pk")
        .values("pk", "identified_on", "sex", "age_band", "nationality_id", "forms_of_exploitation")
    )
    ids = [v["pk"] for v in victims]
    # The victim's first linked case gives the means of control, the recruiter relation and,
    # from its route, the first country of exploitation.
    first_case: dict[int, dict] = {}
    for link in (
        VictimCaseLink.objects.filter(victim_id__in=ids)
        .order_by("victim_id", "linked_at", "id")
        .values("victim_id", "case_id", "case__means_of_control", "case__recruiter_relationship")
    ):
        first_case.setdefault(link["victim_id"], link)
    exploited_in: dict[int, str] = {}
    for leg in (
        RouteLeg.objects.filter(
            case_id__in={c["case_id"] for c in first_case.values()},
            stage=RouteStage.EXPLOITATION,
        )
        .order_by("case_id", "position", "id")
        .values("case_id", "country_id")
    ):
        exploited_in.setdefault(leg["case_id"], leg["country_id"])
    records = []
    for victim in victims:
        case = first_case.get(victim["pk"], {})
        records.append(
            {
                "year": victim["identified_on"].year if victim["identified_on"] else None,
                "sex": victim["sex"],
                "age_band": victim["age_band"],
                "citizenship": victim["nationality_id"],
                "country_of_exploitation": exploited_in.get(case.get("case_id")),
                "forms_of_exploitation": victim["forms_of_exploitation"] or [],
                "means_of_control": case.get("case__means_of_control") or [],
                "recruiter_relation": case.get("case__recruiter_relationship") or "",
            }
        )
    return records


def header_lines(export: Export) -> list[str]:
    k = export.k_reached
    generalised = ", ".join(f"{h.field}: {h.levels[export.levels[h.field]]}" for h in HIERARCHIES)
    return [
        f"# k-anonymity: k = {k} (required: {export.k_required}) over all {len(FIELDS)} fields"
        if k
        else f"# k-anonymity: no record published (fewer than {export.k_required} alike)",
        f"# records: {len(export.rows)} published, {export.withheld} withheld",
        f"# generalised: {generalised}",
        f"# {ANY}: withheld; victims who consented to use in statistics only",
    ]


@login_required
@require_safe
def ctdc_export(request):
    """HQ downloads the anonymised records as CSV."""
    if not access.is_hq(request.user):
        raise PermissionDenied("The anonymised record export is for HQ.")
    export = anonymise(records_for(request.user), min_cell())
    audit.exported(request.user, "CTDC records", f"k={export.k_reached}")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="glo-act_ctdc-records_{stamp}.csv"'
    for line in header_lines(export):
        response.write(line + "\r\n")
    writer = csv.writer(response)
    writer.writerow(FIELDS)
    for row in sorted(export.rows):
        writer.writerow(row)
    return response
