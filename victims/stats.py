"""Statistics on victims and referrals, for the statistics page (`cases.stats` finds this module).

Only victims with a live consent to use in statistics are counted (ConsentPurpose.STATISTICS);
the page says how many visible victims were left out for want of it. Every count goes through
`visible_to`, in one aggregate query per section.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q

from cases import charts
from cases.constants import SEXUAL_FORMS, AgeBand, Exploitation, Sex
from cases.disclosure import count_text
from cases.stats import UNPUBLISHED, Section, StatsQuery, Table, TableRow, min_cell, publish
from liaison_offices.constants import Service
from victims.constants import ConsentPurpose, ReferralStatus
from victims.models import Consent, Referral, Victim

CHILD_BANDS = frozenset({AgeBand.A0_8.value, AgeBand.A9_17.value})

# The columns of the exploitation tables: the HTCDS forms, with the sexual sub-forms counted
# together (a victim in any of them counts once), so the chart reads at a glance.
FORM_GROUPS: list[tuple[str, str, tuple[str, ...]]] = [
    ("forced_labour", "Forced labour", (Exploitation.FORCED_LABOUR,)),
    ("sexual", "Sexual exploitation", tuple(sorted(SEXUAL_FORMS))),
    ("domestic_servitude", "Domestic servitude", (Exploitation.DOMESTIC_SERVITUDE,)),
    ("forced_marriage", "Forced marriage", (Exploitation.FORCED_MARRIAGE,)),
    ("forced_criminality", "Forced criminality", (Exploitation.FORCED_CRIMINALITY,)),
    ("forced_begging", "Forced begging", (Exploitation.FORCED_BEGGING,)),
    ("organ_removal", "Organ removal", (Exploitation.ORGAN_REMOVAL,)),
    ("other", "Other", (Exploitation.OTHER,)),
]

# The small multiples: one panel per group of people, adults and children apart.
PANELS = [
    ("men", "Men (18 and over)", Sex.MALE, False),
    ("women", "Women (18 and over)", Sex.FEMALE, False),
    ("boys", "Boys (under 18)", Sex.MALE, True),
    ("girls", "Girls (under 18)", Sex.FEMALE, True),
]
PANEL_COLOURS = (charts.PALETTE[0], charts.PALETTE[1], charts.PALETTE[5], charts.PALETTE[3])


def _has_form(form: str) -> Q:
    if connection.vendor == "postgresql":
        return Q(forms_of_exploitation__contains=[str(form)])
    # SQLite (the demo database) has no JSON containment; the JSON text holds '"form"'.
    return Q(forms_of_exploitation__icontains=f'"{form}"')


def _any_form(forms: tuple[str, ...]) -> Q:
    q = Q()
    for form in forms:
        q |= _has_form(form)
    return q


def sections(query: StatsQuery) -> list[Section]:
    return [victim_section(query), referral_section(query)]


def victim_section(query: StatsQuery) -> Section:
    """Victims by sex × CTDC age band × form of exploitation, in one aggregate query."""
    # scoped: a subquery of the visible victims below
    statistics_consent = Consent.objects.filter(
        victim_id=OuterRef("pk"), purpose=ConsentPurpose.STATISTICS, withdrawn_at__isnull=True
    )
    victims = (
        Victim.objects.visible_to(query.user)
        .filter(
            query.office_q("recorded_by_office_id"),
            query.period_q("identified_on", is_datetime=False),
        )
        .annotate(consented=Exists(statistics_consent))
        .order_by()
    )
    rows = list(
        victims.values("consented", "sex", "age_band").annotate(
            victims=Count("pk"),
            **{key: Count("pk", filter=_any_form(forms)) for key, _, forms in FORM_GROUPS},
        )
    )
    left_out = sum(row["victims"] for row in rows if not row["consented"])
    counted = [row for row in rows if row["consented"]]
    cell = {(row["sex"], row["age_band"]): row for row in counted}
    form_names = [name for _, name, _ in FORM_GROUPS]

    def values(sex, band) -> list[int]:
        row = cell.get((sex, band))
        return [row[key] if row else 0 for key, _, _ in FORM_GROUPS]

    def victims_in(sex, band) -> int:
        row = cell.get((sex, band))
        return row["victims"] if row else 0

    # Small multiples: men, women, boys, girls, by form.
    panel_rows = []
    for key, label, sex, child in PANELS:
        bands = [b for b in AgeBand.values if b != AgeBand.UNKNOWN and (b in CHILD_BANDS) == child]
        totals = [sum(values(sex, b)[i] for b in bands) for i in range(len(FORM_GROUPS))]
        panel_rows.append((key, label, sex, bands, totals))
    groups_table = Table(
        slug="victims-by-group-and-exploitation",
        title="Victims by group and form of exploitation",
        row_header="Group",
        columns=form_names,
        rows=[
            TableRow(label, totals, highlight=key in ("boys", "girls"))
            for key, label, _, _, totals in panel_rows
        ],
        with_total=False,
        heat=True,
        note="A victim exploited in several forms is counted under each of them.",
    )
    k = min_cell()
    heat_tables = {}
    titles = {
        Sex.FEMALE: "Female victims",
        Sex.MALE: "Male victims",
        Sex.OTHER: "Victims of another sex",
        Sex.UNKNOWN: "Victims whose sex is not recorded",
    }
    for sex in (Sex.FEMALE, Sex.MALE, Sex.OTHER, Sex.UNKNOWN):
        table_rows = [
            TableRow(
                f"{AgeBand(band).label} (child)" if band in CHILD_BANDS else AgeBand(band).label,
                values(sex, band),
                highlight=band in CHILD_BANDS,
            )
            for band in AgeBand.values
        ]
        # Shown only when enough people are recorded so: a table of hidden cells would still
        # say that someone of another sex was identified.
        if sex in (Sex.OTHER, Sex.UNKNOWN) and sum(
            victims_in(sex, band) for band in AgeBand.values
        ) < max(k, 1):
            continue
        heat_tables[sex] = Table(
            slug=f"victims-{sex.value}-by-age-and-exploitation",
            title=f"{titles[sex]} by CTDC age band and form of exploitation",
            row_header="Age band",
            columns=form_names,
            rows=table_rows,
            with_total=False,
            heat=True,
        )
    # A panel's cell is the sum of its age bands' cells: hidden together, so that neither
    # table gives away what the other hides.
    band_index = {band: i for i, band in enumerate(AgeBand.values)}
    equations = [
        [
            (groups_table.cell_key(p, j), -1),
            *((heat_tables[sex].cell_key(band_index[b], j), 1) for b in bands),
        ]
        for p, (_, _, sex, bands, _) in enumerate(panel_rows)
        for j in range(len(FORM_GROUPS))
    ]
    publish([groups_table, *heat_tables.values()], equations=equations, k=k)
    shared_peak = max(
        [1, *(v for table in heat_tables.values() for row in table.shown_rows() for v in row)]
    )
    for table in heat_tables.values():
        table.scale_max = shared_peak
    panels = charts.small_multiples(
        [
            (label, [charts.Bar(name, v) for name, v in zip(form_names, shown, strict=True)])
            for (_, label, _, _, _), shown in zip(
                panel_rows, groups_table.shown_rows(), strict=True
            )
        ],
        title="Victims by form of exploitation",
        desc="Bars on one scale across the four panels: compare lengths between panels.",
        colours=PANEL_COLOURS,
    )
    total = sum(row["victims"] for row in counted)
    in_no_panel = sum(
        row["victims"]
        for row in counted
        if row["age_band"] == AgeBand.UNKNOWN or row["sex"] not in (Sex.MALE, Sex.FEMALE)
    )
    note = (
        f"{_people(left_out, k, 'victim')} without a live consent to use in statistics "
        + ("is" if left_out == 1 else "are")
        + " not counted."
    )
    if in_no_panel:
        note += (
            f" {count_text(in_no_panel, k).capitalize()} counted victim(s) of unrecorded age or "
            "sex other than male or female are in the tables but in no panel."
        )
    return Section(
        slug="victims",
        title="Victims: sex, age and form of exploitation",
        lede=(
            f"{_people(total, k, 'victim').capitalize()} identified in the period. Each panel "
            "shows one group on the same scale; darker cells in the tables hold more victims, "
            "and child age bands are marked."
        ),
        panels=panels,
        tables=[groups_table, *heat_tables.values()],
        note=note,
    )


def _people(n: int, k: int, noun: str) -> str:
    """'12 victims', '1 victim', 'fewer than 11 victims' (never the singular below k)."""
    text = count_text(n, k)
    return f"{text} {noun}" if n == 1 and text == "1" else f"{text} {noun}s"


def referral_section(query: StatsQuery) -> Section:
    """Referrals by service and status (outcome), in one aggregate query."""
    # scoped: a subquery of the visible victims below
    statistics_consent = Consent.objects.filter(
        victim_id=OuterRef("victim_id"),
        purpose=ConsentPurpose.STATISTICS,
        withdrawn_at__isnull=True,
    )
    referrals = (
        Referral.objects.visible_to(query.user)
        .filter(
            Exists(statistics_consent),
            query.office_q("from_office_id"),
            query.period_q("created_at"),
        )
        .order_by()
    )
    counts = {
        (row["service"], row["status"]): row["n"]
        for row in referrals.values("service", "status").annotate(n=Count("pk"))
    }
    statuses = list(ReferralStatus)
    rows = [
        TableRow(str(service.label), [counts.get((service.value, s.value), 0) for s in statuses])
        for service in Service
    ]
    table = Table(
        slug="referrals-by-service-and-status",
        title="Referrals by service and status",
        row_header="Service",
        columns=[str(s.label) for s in statuses],
        rows=rows,
    )
    publish([table])
    shown = [
        (row.label, values)
        for row, values in zip(rows, table.shown_rows(), strict=True)
        if any(values)
    ]
    if table.grand_total_key in table.hidden:
        lede = f"{UNPUBLISHED.capitalize()} referrals sent in the period."
    else:
        lede = f"{_people(table.grand_total, 1, 'referral').capitalize()} sent in the period."
    return Section(
        slug="referrals",
        title="Referrals: service and outcome",
        lede=lede,
        charts=[
            charts.legend([str(s.label) for s in statuses]),
            charts.stacked_bar_chart(
                shown,
                series=[str(s.label) for s in statuses],
                title="Referrals by service, split by status",
                desc="One bar per service; the segments are the referrals' statuses.",
            ),
        ],
        tables=[table],
        note="Referrals of victims without a live consent to use in statistics are not counted.",
    )
