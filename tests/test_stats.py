"""The statistics page: who sees which counts, the victims matrix, CSV, charts, query counts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import charts
from cases import services as case_services
from cases.constants import CaseKind, Exploitation, HandlingCode, ShareLevel
from cases.models import Case
from cases.stats import heat_level, month_range
from liaison_offices.constants import Service
from victims import services as victim_services
from victims.constants import ConsentPurpose

pytestmark = pytest.mark.django_db
URL = "/statistics/"
STATS = {"purpose": ConsentPurpose.STATISTICS}


@pytest.fixture(autouse=True)
def every_count_published(settings):
    """These tests read exact small counts; small-count suppression has its own tests
    (tests/test_stats_disclosure.py)."""
    settings.STATS_MIN_CELL = 1


def open_case(cast, who="uk", office="GBR", kind=CaseKind.TIP, **fields):
    fields.setdefault("title", f"{kind} case of {office}")
    return case_services.case_create(
        acting_user=cast.users[who], lead_office=cast.offices[office], kind=kind, **fields
    )


def add_victim(cast, case, *, who="uk", sex="male", age=30, forms=(), consents=(STATS,)):
    return victim_services.victim_register(
        acting_user=cast.users[who],
        case=case,
        sex=sex,
        age_at_identification=age,
        forms_of_exploitation=list(forms),
        consents=list(consents),
    ).victim


def table(html: str, slug: str) -> dict[str, list[str]]:
    """The rows of one rendered table: {row label: [cell texts]}."""
    block = html.split(f'id="table-{slug}"', 1)[1].split("</table>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", block, re.S):
        label = re.search(r'<th scope="row">(.*?)</th>', row, re.S)
        if label:
            rows[label.group(1).strip()] = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    return rows


def test_it_counts_only_the_officers_own_office_cases(cast, login):
    open_case(cast)  # GBR TIP
    open_case(cast, kind=CaseKind.SOM)
    italian = open_case(cast, who="italy", office="ITA")
    # Shared with the UK office: visible to it, but the statistics are of its own office.
    case_services.case_share(
        acting_user=cast.italy,
        case=italian,
        office=cast.offices["GBR"],
        level=ShareLevel.SUMMARY,
        handling_code=HandlingCode.H0,
    )
    html = login(cast.uk).get(URL).content.decode()
    assert table(html, "cases-by-status-and-kind")["Reported"] == ["1", "1", "2"]
    assert "2 cases opened in the period: 1 trafficking in persons, 1 smuggling" in html


def test_italy_cannot_pick_the_uk_office_and_sees_only_its_own(cast, login):
    open_case(cast)
    open_case(cast, who="italy", office="ITA")
    response = login(cast.italy).get(URL, {"office": "GBR"})
    html = response.content.decode()
    assert "Select a valid choice" in html
    assert '<option value="GBR"' not in html
    assert table(html, "cases-by-status-and-kind")["Total"] == ["1", "0", "1"]
    csv_rows = list(
        csv.reader(
            io.StringIO(
                login(cast.italy)
                .get(URL, {"office": "GBR", "csv": "cases-by-status-and-kind"})
                .content.decode()
            )
        )
    )
    assert csv_rows[-1] == ["Total", "1", "0", "1"]


def test_hq_sees_every_office_and_filters_by_one(cast, login):
    open_case(cast)
    open_case(cast, who="italy", office="ITA")
    open_case(cast, who="italy", office="ITA", kind=CaseKind.SOM)
    client = login(cast.hq)
    assert table(client.get(URL).content.decode(), "cases-by-status-and-kind")["Total"] == [
        "2",
        "1",
        "3",
    ]
    html = client.get(URL, {"office": "ITA"}).content.decode()
    assert table(html, "cases-by-status-and-kind")["Total"] == ["1", "1", "2"]
    assert "Office ITA" in html


def test_the_period_filters_cases_by_their_opening_date(cast, login):
    open_case(cast)
    old = open_case(cast, title="Opened long ago")
    Case.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=800))
    client = login(cast.uk)
    # Default period: the last twelve months.
    assert table(client.get(URL).content.decode(), "cases-by-status-and-kind")["Total"][-1] == "1"
    start = (timezone.localdate() - dt.timedelta(days=900)).isoformat()
    html = client.get(URL, {"date_from": start}).content.decode()
    assert table(html, "cases-by-status-and-kind")["Total"][-1] == "2"
    # Every month of the period has a row, the empty ones with zeros.
    assert len(table(html, "cases-by-month")) >= 27


def test_an_end_before_the_start_is_a_form_error(cast, login):
    html = login(cast.uk).get(URL, {"date_from": "2026-05-01", "date_to": "2026-01-01"})
    assert "The end of the period is before its start." in html.content.decode()


def test_a_service_provider_may_not_open_statistics(cast, login):
    assert login(cast.provider).get(URL).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_men_in_forced_labour_and_women_and_girls_in_sexual_exploitation_read_apart(cast, login):
    case = open_case(cast)
    labour, sexual = [Exploitation.FORCED_LABOUR], [Exploitation.SEXUAL_PROSTITUTION]
    for _ in range(3):
        add_victim(cast, case, sex="male", age=30, forms=labour)
    add_victim(cast, case, sex="female", age=24, forms=sexual)
    add_victim(cast, case, sex="female", age=15, forms=[*sexual, Exploitation.FORCED_BEGGING])
    add_victim(cast, case, sex="female", age=7, forms=[Exploitation.SEXUAL_PORNOGRAPHY])
    # No consent to statistics: not counted anywhere, only mentioned.
    add_victim(cast, case, sex="male", age=30, forms=labour, consents=())
    html = login(cast.uk).get(URL).content.decode()

    groups = table(html, "victims-by-group-and-exploitation")
    # Columns: forced labour, sexual exploitation, domestic servitude, …, forced begging, …
    assert groups["Men (18 and over)"][:2] == ["3", "0"]
    assert groups["Women (18 and over)"][:2] == ["0", "1"]
    assert groups["Girls (under 18)"][:2] == ["0", "2"]
    assert groups["Girls (under 18)"][5] == "1"
    girls_row = re.search(r'<tr class="child">\s*<th scope="row">Girls', html)
    assert girls_row, "child rows are marked"

    female = table(html, "victims-female-by-age-and-exploitation")
    assert female["0–8 (child)"][1] == "1"
    assert female["9–17 (child)"][1] == "1"
    assert female["24–26"][1] == "1"
    male = table(html, "victims-male-by-age-and-exploitation")
    assert male["30–38"][0] == "3"
    assert "victims-other-by-age" not in html  # no one recorded with another sex
    assert "1 victim without a live consent to use in statistics is not counted." in html
    # The largest cell is the darkest.
    assert re.search(r'class="num heat-4">3</td>', html)


def test_other_countries_victims_are_not_counted(cast, login):
    add_victim(cast, open_case(cast), forms=[Exploitation.FORCED_LABOUR])
    add_victim(cast, open_case(cast, who="italy", office="ITA"), who="italy", sex="female")
    uk = table(login(cast.uk).get(URL).content.decode(), "victims-by-group-and-exploitation")
    assert uk["Men (18 and over)"][0] == "1"
    assert uk["Women (18 and over)"] == ["0"] * 8


def test_referrals_are_counted_by_service_and_status(cast, login):
    case = open_case(cast)
    iom = cast.partners["IOM"]
    victim = add_victim(
        cast,
        case,
        consents=[
            STATS,
            {"purpose": ConsentPurpose.REFERRAL, "partner": iom, "service": Service.SHELTER},
            {"purpose": ConsentPurpose.REFERRAL, "partner": iom, "service": Service.RETURN},
        ],
    )
    shelter = victim_services.referral_create(
        acting_user=cast.uk, victim=victim, partner=iom, service=Service.SHELTER
    )
    victim_services.referral_accept(acting_user=cast.provider, referral=shelter)
    victim_services.referral_create(
        acting_user=cast.uk, victim=victim, partner=iom, service=Service.RETURN
    )
    html = login(cast.uk).get(URL).content.decode()
    rows = table(html, "referrals-by-service-and-status")
    # Columns: pending, accepted, declined, in progress, completed, closed, revoked, total.
    assert rows["Shelter"] == ["0", "1", "0", "0", "0", "0", "0", "1"]
    assert rows["Return / repatriation"][0] == "1"
    assert "2 referrals sent in the period." in html
    assert (
        table(login(cast.italy).get(URL).content.decode(), "referrals-by-service-and-status")[
            "Total"
        ][-1]
        == "0"
    )


def test_each_table_downloads_as_csv_with_the_filters_applied(cast, login):
    open_case(cast)
    open_case(cast, kind=CaseKind.SOM)
    response = login(cast.hq).get(URL, {"office": "GBR", "csv": "cases-by-status-and-kind"})
    assert response["Content-Type"].startswith("text/csv")
    assert re.match(
        r'attachment; filename="glo-act_cases-by-status-and-kind_gbr\.csv"',
        response["Content-Disposition"],
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Status", "Trafficking in persons", "Smuggling of migrants", "Total"]
    assert rows[1] == ["Reported", "1", "1", "2"]
    assert rows[-1] == ["Total", "1", "1", "2"]
    page = login(cast.hq).get(URL).content.decode()
    for slug in re.findall(r"csv=([\w-]+)", page):
        assert login(cast.hq).get(URL, {"csv": slug}).status_code == 200
    assert login(cast.hq).get(URL, {"csv": "no-such-table"}).status_code == 404


def test_charts_are_inline_svg_with_titles_and_no_style_attributes(cast, login):
    add_victim(cast, open_case(cast), forms=[Exploitation.FORCED_LABOUR])
    response = login(cast.uk).get(URL)
    html = response.content.decode()
    charts_ = re.findall(r'<svg[^>]*class="chart.*?</svg>', html, re.S)
    assert len(charts_) == 7  # status, month, four panels, referrals
    for svg in charts_:
        assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    # Legend swatches are decoration; the key's words are HTML text.
    assert 'aria-hidden="true"' in html and "Smuggling of migrants</li>" in html
    assert "style=" not in html
    assert "<script" not in html.split("</footer>")[0]
    assert "style-src 'self'" in response["Content-Security-Policy"]


def test_chart_labels_are_escaped():
    svg = charts.bar_chart([charts.Bar("<script>x</script>", 3)], title="A & B")
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg and "A &amp; B" in svg


def test_heat_levels_and_month_ranges():
    assert [heat_level(v, 8) for v in (0, 1, 2, 3, 4, 6, 8)] == [0, 1, 1, 2, 2, 3, 4]
    months = month_range(dt.date(2025, 11, 17), dt.date(2026, 2, 1))
    assert months == [
        dt.date(2025, 11, 1),
        dt.date(2025, 12, 1),
        dt.date(2026, 1, 1),
        dt.date(2026, 2, 1),
    ]


def _grow(cast, n):
    from cases.models import LegalProvision

    provisions = [
        LegalProvision.objects.get(act="PSMA_2018", section="3"),
        LegalProvision.objects.get(act="TUR_TCK_5237", section="79"),
    ]
    for i in range(n):
        case = open_case(
            cast,
            kind=CaseKind.SOM if i % 2 else CaseKind.TIP,
            suspects=[{"role": "smuggler", "name": f"Smuggler {i}"}],
        )
        case_services.justice_event_add(  # a conviction: a row or a column more, no query
            acting_user=cast.uk,
            suspect=case.suspects.get(),
            stage="verdict",
            verdict="convicted",
            provision=provisions[i % 2],
            date=timezone.localdate(),
        )
        victim = add_victim(
            cast,
            case,
            sex="female" if i % 2 else "male",
            age=10 + 7 * i,
            forms=[Exploitation.FORCED_LABOUR],
            consents=[
                STATS,
                {
                    "purpose": ConsentPurpose.REFERRAL,
                    "partner": cast.partners["IOM"],
                    "service": Service.SHELTER,
                },
            ],
        )
        victim_services.referral_create(
            acting_user=cast.uk,
            victim=victim,
            partner=cast.partners["IOM"],
            service=Service.SHELTER,
        )


@pytest.mark.parametrize("who", ["uk", "hq"])
def test_the_query_count_is_constant_as_rows_grow(cast, login, assert_queries, who):
    client = login(cast.users[who])
    _grow(cast, 1)
    # 1 session, 2 user, 3 scope (one UNION), 4 offices for the filter, 5 cases by status ×
    # kind, 6 cases by month × kind, 7 convictions by provision × country (named in the same
    # query), 8 victims by consent × sex × age band (forms as filtered counts), 9 referrals
    # by service × status, 10 unread notifications (navigation badge).
    with assert_queries(10):
        assert client.get(URL).status_code == 200
    _grow(cast, 6)
    with assert_queries(10):
        assert client.get(URL).status_code == 200
    with assert_queries(10):  # no navigation (no badge count), but the export is recorded
        assert client.get(URL, {"csv": "victims-by-group-and-exploitation"}).status_code == 200
