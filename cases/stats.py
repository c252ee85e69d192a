"""The statistics page: counts through `visible_to`, one aggregate query per table, charts drawn
as SVG on the server, and a CSV download of every table.

Officers see their own offices (their desks); HQ sees every office and may filter by one. The
period filters each table on its own date (a case's creation, a victim's identification, a
referral's sending). Sections about victims and referrals come from `victims/stats.py`, found
through the app registry the way `seed_demo` finds `<app>/demo.py`, so `cases` never imports
the app above it (docs/architecture.md#the-apps-and-their-arrows).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import SafeString
from django.views.decorators.http import require_safe

from audit import services as audit
from cases import charts, disclosure
from cases.constants import CaseKind, CaseStatus, JusticeStage, Verdict
from cases.models import Case, JusticeEvent, provision_citation
from liaison_offices import access
from liaison_offices.models import LinkOffice

__all__ = [
    "Section",
    "StatsQuery",
    "Table",
    "TableRow",
    "heat_level",
    "justice_sections",
    "month_range",
    "stats",
]

ALL = ""
# A count in a sentence whose table hides it (below the threshold, or given away by totals).
UNPUBLISHED = "an unpublished number of"


@dataclass(frozen=True)
class StatsQuery:
    """Who asks, for which offices (None: every office, HQ only) and which period."""

    user: Any
    office_ids: tuple[int, ...] | None
    date_from: dt.date | None
    date_to: dt.date | None

    def office_q(self, field_name: str) -> Q:
        if self.office_ids is None:
            return Q()
        return Q(**{f"{field_name}__in": self.office_ids})

    def period_q(self, field_name: str, *, is_datetime: bool = True) -> Q:
        """Rows dated within the period; whole days, inclusive at both ends."""
        q = Q()
        suffix = "__date" if is_datetime else ""
        if self.date_from:
            q &= Q(**{f"{field_name}{suffix}__gte": self.date_from})
        if self.date_to:
            q &= Q(**{f"{field_name}{suffix}__lte": self.date_to})
        return q


@dataclass
class TableRow:
    label: str
    values: list[int]
    highlight: bool = False  # e.g. a child age band

    @property
    def total(self) -> int:
        return sum(self.values)


@dataclass
class Table:
    """A table shown under a chart (its accessible form) and offered as CSV.

    Its counts are published through `publish`: a cell below the statistics threshold, or one
    that the totals would give away, is shown as `disclosure.HIDDEN` on the page and in the CSV.
    """

    slug: str
    title: str
    row_header: str
    columns: list[str]
    rows: list[TableRow]
    with_total: bool = True
    heat: bool = False  # cells shaded by value (classes heat-0 … heat-4)
    note: str = ""
    totals_label: str = "Total"
    scale_max: int | None = None  # a peak shared with sibling tables, so shades compare
    collapsed: bool = False  # long tables start folded under their chart
    # Tables counting the same things share their column totals and grand total (cases by
    # status and cases by month): one name, so what one hides the other does not show.
    margin: str = ""
    hidden: frozenset = frozenset()

    # --- the cells, as keys of the published set (see `publish`) ---

    def cell_key(self, i: int, j: int) -> tuple:
        return (self.slug, "cell", i, j)

    def row_total_key(self, i: int) -> tuple:
        return (self.slug, "row", i)

    def column_total_key(self, j: int) -> tuple:
        return (self.margin or self.slug, "column", j)

    @property
    def grand_total_key(self) -> tuple:
        return (self.margin or self.slug, "grand")

    def values_by_key(self) -> dict:
        values = {
            self.cell_key(i, j): value
            for i, row in enumerate(self.rows)
            for j, value in enumerate(row.values)
        }
        if self.with_total:
            values.update({self.row_total_key(i): row.total for i, row in enumerate(self.rows)})
            values.update({self.column_total_key(j): v for j, v in enumerate(self.column_totals)})
            values[self.grand_total_key] = self.grand_total
        return values

    def equations(self) -> list[list[tuple]]:
        """Row cells sum to the row total, column cells to the column total, totals to the
        grand total (as `sum - total == 0`)."""
        if not self.with_total:
            return []
        width = len(self.columns)
        equations = [
            [*((self.cell_key(i, j), 1) for j in range(width)), (self.row_total_key(i), -1)]
            for i in range(len(self.rows))
        ]
        equations += [
            [
                *((self.cell_key(i, j), 1) for i in range(len(self.rows))),
                (self.column_total_key(j), -1),
            ]
            for j in range(width)
        ]
        equations.append(
            [
                *((self.row_total_key(i), 1) for i in range(len(self.rows))),
                (self.grand_total_key, -1),
            ]
        )
        equations.append(
            [*((self.column_total_key(j), 1) for j in range(width)), (self.grand_total_key, -1)]
        )
        return equations

    def shown(self, key, value: int):
        """The published form of one count: the number, or HIDDEN."""
        return disclosure.HIDDEN if key in self.hidden else value

    def shown_value(self, key, value: int) -> int:
        """For charts and sentences: a hidden count counts as nothing."""
        return 0 if key in self.hidden else value

    # --- what the page and the CSV show ---

    @property
    def column_totals(self) -> list[int]:
        return [sum(row.values[i] for row in self.rows) for i in range(len(self.columns))]

    @property
    def grand_total(self) -> int:
        return sum(row.total for row in self.rows)

    @property
    def shown_column_totals(self) -> list:
        return [self.shown(self.column_total_key(j), v) for j, v in enumerate(self.column_totals)]

    @property
    def shown_grand_total(self):
        return self.shown(self.grand_total_key, self.grand_total)

    def shown_rows(self) -> list[list[int]]:
        """The rows' values with hidden cells as 0 (for charts)."""
        return [
            [self.shown_value(self.cell_key(i, j), v) for j, v in enumerate(row.values)]
            for i, row in enumerate(self.rows)
        ]

    @property
    def peak(self) -> int:
        if self.scale_max:
            return self.scale_max
        return max([1, *(v for row in self.shown_rows() for v in row)])

    def cells(self):
        """Rows for the template: (row, [(shown value, heat level)], shown row total)."""
        peak = self.peak
        for i, row in enumerate(self.rows):
            shown = []
            for j, value in enumerate(row.values):
                key = self.cell_key(i, j)
                level = 0 if key in self.hidden else heat_level(value, peak)
                shown.append((self.shown(key, value), level))
            yield row, shown, self.shown(self.row_total_key(i), row.total)

    @property
    def has_hidden(self) -> bool:
        return bool(self.hidden)

    def csv_rows(self) -> list[list]:
        header = [self.row_header, *self.columns]
        if self.with_total:
            header.append(self.totals_label)
        lines = [header]
        for row, shown, total in self.cells():
            lines.append([row.label, *(v for v, _ in shown), *([total] if self.with_total else [])])
        if self.with_total:
            lines.append(["Total", *self.shown_column_totals, self.shown_grand_total])
        return lines


def min_cell() -> int:
    """The statistics threshold k: counts from 1 to k-1 are never published."""
    return settings.STATS_MIN_CELL


def publish(tables: Sequence[Table], *, equations: Sequence = (), k: int | None = None) -> None:
    """Decide which counts of these tables are hidden (below k, or given away by totals),
    together: tables that share totals, or whose cells sum to another table's, are passed in
    one call with the `equations` that tie them."""
    k = min_cell() if k is None else k
    values: dict = {}
    all_equations: list = list(equations)
    for table in tables:
        values.update(table.values_by_key())
        all_equations += table.equations()
    hidden = disclosure.suppress(values, all_equations, k)
    for table in tables:
        table.hidden = frozenset(key for key in table.values_by_key() if key in hidden)


@dataclass
class Section:
    """A heading, a sentence on how to read it, its charts and its tables."""

    slug: str
    title: str
    lede: str
    charts: list[SafeString] = field(default_factory=list)
    panels: list[tuple[str, SafeString]] = field(default_factory=list)  # small multiples
    tables: list[Table] = field(default_factory=list)
    note: str = ""


def heat_level(value: int, peak: int) -> int:
    """0 for nothing, else 1–4 by share of the table's largest cell."""
    if value <= 0 or peak <= 0:
        return 0
    return min(4, 1 + (4 * value - 1) // peak)


def month_range(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first day of every month from `first`'s month to `last`'s, inclusive."""
    months, current = [], first.replace(day=1)
    while current <= last:
        months.append(current)
        current = (current + dt.timedelta(days=32)).replace(day=1)
    return months


# --- The filter ---------------------------------------------------------------------------------


class StatsFilterForm(forms.Form):
    """Office (HQ: any; officers: one of their desks) and period."""

    office = forms.ChoiceField(required=False, label="Office")
    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, offices: Sequence[LinkOffice], is_hq: bool, **kwargs):
        super().__init__(*args, **kwargs)
        everyone = "All offices" if is_hq else "All my offices"
        self.fields["office"].choices = [(ALL, everyone)] + [
            (office.code, f"{office.name} ({office.code})") for office in offices
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end of the period is before its start.")
        return data


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last twelve months, this one included."""
    start = today.replace(day=1)
    for _ in range(11):
        start = (start - dt.timedelta(days=1)).replace(day=1)
    return start, today


# --- Case sections ------------------------------------------------------------------------------


def case_sections(query: StatsQuery) -> list[Section]:
    """Cases by kind and status (one query) and by month of creation and kind (one query)."""
    cases = (
        Case.objects.visible_to(query.user)
        .filter(query.office_q("lead_office_id"), query.period_q("created_at"))
        .order_by()
    )
    kinds = list(CaseKind)
    counts = {
        (row["status"], row["kind"]): row["n"]
        for row in cases.values("status", "kind").annotate(n=Count("pk"))
    }
    status_rows = [
        TableRow(str(status.label), [counts.get((status.value, k.value), 0) for k in kinds])
        for status in CaseStatus
    ]
    kind_names = [str(k.label) for k in kinds]
    by_status = Table(
        slug="cases-by-status-and-kind",
        title="Cases by status and kind",
        row_header="Status",
        columns=kind_names,
        rows=status_rows,
        margin="cases-by-kind",
    )
    monthly = {
        (_as_date(row["month"]), row["kind"]): row["n"]
        for row in cases.annotate(month=TruncMonth("created_at"))
        .values("month", "kind")
        .annotate(n=Count("pk"))
    }
    months = _months_for(query, [month for month, _ in monthly])
    month_rows = [
        TableRow(month.strftime("%b %Y"), [monthly.get((month, k.value), 0) for k in kinds])
        for month in months
    ]
    by_month = Table(
        slug="cases-by-month",
        title="Cases opened per month, by kind",
        row_header="Month",
        columns=kind_names,
        rows=month_rows,
        collapsed=len(month_rows) > 6,
        margin="cases-by-kind",
    )
    publish([by_status, by_month])
    total = by_status.grand_total
    total_text = _shown_count(by_status, by_status.grand_total_key, total)
    if total_text == UNPUBLISHED:
        total = 2  # the plural, which says nothing of the number
    kind_texts = [
        _shown_count(by_status, by_status.column_total_key(j), n)
        for j, n in enumerate(by_status.column_totals)
    ]
    colours = charts.PALETTE[:2]
    return [
        Section(
            slug="cases",
            title="Cases",
            lede=(
                f"{total_text} case{'s' if total != 1 else ''} opened in the period: "
                + ", ".join(
                    f"{count} {name.lower()}"
                    for name, count in zip(kind_names, kind_texts, strict=True)
                )
                + "."
            ),
            charts=[
                charts.legend(kind_names, colours),
                charts.stacked_bar_chart(
                    [
                        (row.label, values)
                        for row, values in zip(status_rows, by_status.shown_rows(), strict=True)
                    ],
                    series=kind_names,
                    colours=colours,
                    title="Cases by status, split by kind",
                    desc="One bar per status; the segments are trafficking and smuggling.",
                ),
                charts.column_chart(
                    [
                        (m.strftime("%b"), m.strftime("%Y") if i == 0 or m.month == 1 else "")
                        for i, m in enumerate(months)
                    ],
                    [
                        (name, [values[i] for values in by_month.shown_rows()])
                        for i, name in enumerate(kind_names)
                    ],
                    colours=colours,
                    title="Cases opened per month",
                    desc="One column per month, stacked by kind.",
                ),
            ],
            tables=[by_status, by_month],
        )
    ]


def justice_sections(query: StatsQuery) -> list[Section]:
    """Convictions by provision and country (one query): each suspect convicted under a
    provision counts once for it, in the verdict's country (the jurisdiction), as SHERLOC and
    the TIP Report count convictions. Read as the suspects are: cases seen at FULL level
    (`JusticeEvent.objects.visible_to`); withdrawn lines do not count; the period is the
    verdict's date, the office the case's lead office."""
    convictions = (
        JusticeEvent.objects.visible_to(query.user)
        .live()
        .filter(
            query.office_q("case__lead_office_id"),
            query.period_q("date", is_datetime=False),
            stage=JusticeStage.VERDICT,
            verdict=Verdict.CONVICTED,
        )
        .order_by()
        .values(
            "provision_id",
            "provision__section",
            "provision__title",
            "provision__act__short_title",
            "provision__act__unit",
            "provision__act__country_id",
            "country_id",
            "country__name",
        )
        .annotate(n=Count("suspect_id", distinct=True))
    )
    counts, labels, names, order = {}, {}, {}, {}
    for row in convictions:  # provisions and countries named in the same query
        pk, country = row["provision_id"], row["country_id"]
        counts[(pk, country)] = row["n"]
        names[country] = row["country__name"]
        act = row["provision__act__short_title"]
        cited = provision_citation(act, row["provision__act__unit"], row["provision__section"])
        labels[pk] = f"{cited} — {row['provision__title']}"
        # Pakistan's first, then by country and statute, as the forms list them.
        order[pk] = (row["provision__act__country_id"] != "PAK", cited.casefold())
    countries = sorted(names, key=lambda code: (code != "PAK", names[code]))
    rows = [
        TableRow(labels[pk], [counts.get((pk, c), 0) for c in countries])
        for pk in sorted(labels, key=order.get)
    ]
    by_provision = Table(
        slug="convictions-by-provision-and-country",
        title="Convictions by provision and country",
        row_header="Provision",
        columns=[names[c] for c in countries],
        rows=rows,
        note="A suspect convicted under a provision counts once for it; one convicted under "
        "two provisions counts under each.",
    )
    publish([by_provision])
    total = _shown_count(by_provision, by_provision.grand_total_key, by_provision.grand_total)
    lede = (
        f"{total} conviction{'' if by_provision.grand_total == 1 else 's'} of suspects in "
        "the period, by the provision and the country of the verdict."
        if rows
        else "No conviction of a suspect recorded in the period."
    )
    return [
        Section(
            slug="justice",
            title="Convictions",
            lede=lede,
            tables=[by_provision] if rows else [],
        )
    ]


def _shown_count(table: Table, key, value: int) -> str:
    """A published count for a sentence: hidden in the table → hidden here too."""
    if key in table.hidden:
        return UNPUBLISHED
    return str(value)


def _as_date(value) -> dt.date:
    return timezone.localtime(value).date() if isinstance(value, dt.datetime) else value


def _months_for(query: StatsQuery, seen: Sequence[dt.date]) -> list[dt.date]:
    first = query.date_from or (min(seen) if seen else None)
    last = query.date_to or (max(seen) if seen else None)
    if first is None or last is None:
        return []
    return month_range(first, last)


def _section_providers() -> list[Callable[[StatsQuery], list[Section]]]:
    """`sections(query)` of every installed app above `cases` that has a `stats` module."""
    providers = []
    for app_config in apps.get_app_configs():
        name = app_config.name
        if name == "cases" or name.startswith("django") or "." in name:
            continue
        module_name = f"{name}.stats"
        if find_spec(module_name):
            module = import_module(module_name)
            if hasattr(module, "sections"):
                providers.append(module.sections)
    return providers


# --- The view -----------------------------------------------------------------------------------


@login_required
@require_safe
def stats(request):
    """The statistics page; `?csv=<table slug>` downloads one table with the same filters."""
    scope = access.scope_of(request.user)
    if not (scope.is_hq or scope.view_office_ids):
        raise PermissionDenied("Statistics are for link offices and HQ.")
    offices = list(access.offices_of(request.user).order_by("code"))
    params = request.GET.copy()
    if not any(key in params for key in ("office", "date_from", "date_to")):
        start, end = default_period(timezone.localdate())
        params.update({"date_from": start.isoformat(), "date_to": end.isoformat()})
    form = StatsFilterForm(params, offices=offices, is_hq=scope.is_hq)
    form.is_valid()
    data = form.cleaned_data  # the valid part: a bad end date still lets the office apply
    code = data.get("office") or ALL
    if code == ALL:
        office_ids = None if scope.is_hq else tuple(sorted(o.pk for o in offices))
        chosen = None
    else:
        chosen = next(o for o in offices if o.code == code)
        office_ids = (chosen.pk,)
    query = StatsQuery(
        user=request.user,
        office_ids=office_ids,
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
    )
    sections = case_sections(query) + justice_sections(query)
    for provider in _section_providers():
        sections.extend(provider(query))
    wanted = request.GET.get("csv")
    if wanted:
        table = next((t for s in sections for t in s.tables if t.slug == wanted), None)
        if table is None:
            raise Http404("No such table.")
        audit.exported(request.user, f"statistics: {table.slug}", request.GET.urlencode())
        return csv_response(table, query, chosen)
    query_string = params.urlencode()
    return render(
        request,
        "stats/stats.html",
        {
            "form": form,
            "sections": sections,
            "chosen_office": chosen,
            "query": query,
            "query_string": query_string,
            "is_hq": scope.is_hq,
            "min_cell": min_cell(),
            "hidden_mark": disclosure.HIDDEN,
        },
    )


def _csv_safe(value):
    # A spreadsheet runs a cell starting with = + - @ as a formula; labels never need to.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def csv_response(table: Table, query: StatsQuery, office: LinkOffice | None) -> HttpResponse:
    parts = ["glo-act", table.slug, office.code.lower() if office else "all"]
    if query.date_from:
        parts.append(query.date_from.isoformat())
    if query.date_to:
        parts.append(query.date_to.isoformat())
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{"_".join(parts)}.csv"'
    writer = csv.writer(response)
    for line in table.csv_rows():
        writer.writerow([_csv_safe(value) for value in line])
    return response
