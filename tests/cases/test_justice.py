"""Justice per suspect: the service's rules, who sees and writes the lines, the pages, the API,
and the statistics of convictions by provision and country (docs/investigation.md)."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import demo, services
from cases.constants import CaseOutcome, JusticeStage, ShareLevel, TimelineKind, Verdict
from cases.models import JusticeEvent, LegalProvision, Suspect
from glo_act.errors import DomainError, PermissionDenied
from liaison_offices import demo as office_demo
from tests.api import conftest as api_fixtures
from tests.api.conftest import API
from tests.cases.conftest import fresh

pytestmark = pytest.mark.django_db
api_client = api_fixtures.api_client  # the API tests' token client, as a fixture here

TODAY = dt.date.today


def provision(act, section) -> LegalProvision:
    return LegalProvision.objects.select_related("act").get(act=act, section=section)


@pytest.fixture
def agent(cast, make_case) -> Suspect:
    case = make_case(
        "GBR", suspects=[{"role": "recruiter", "name": "Agent Malik", "nationality": "PAK"}]
    )
    return case.suspects.get()


def add(cast, suspect, stage, days_ago=10, **fields):
    return services.justice_event_add(
        acting_user=fresh(cast.uk),
        suspect=suspect,
        stage=stage,
        date=timezone.localdate() - dt.timedelta(days=days_ago),
        **fields,
    )


# --- the service --------------------------------------------------------------------------------


def test_a_suspects_path_from_arrest_to_sentence_is_on_the_timeline(cast, agent):
    ptpa3 = provision("PTPA_2018", "3")
    add(cast, agent, "arrest", 40, country="PAK", authority="FIA, Lahore")
    add(cast, agent, "charge", 35, provision=ptpa3)
    verdict = add(cast, agent, "verdict", 5, provision=ptpa3, verdict="convicted",
                  authority="Sessions Court, Lahore")  # fmt: skip
    add(cast, agent, "sentence", 5, custody_months=84, fine="PKR 1,000,000", country="PAK")
    assert verdict.country_id == "PAK"  # the provision's country by default
    lines = list(
        agent.case.timeline.filter(kind=TimelineKind.JUSTICE)
        .order_by("created_at", "id")
        .values_list("summary", flat=True)
    )
    assert lines[0].startswith("Agent Malik: arrested (FIA, Lahore), ")
    assert lines[1].startswith("Agent Malik: charged under PTPA 2018 s.3, ")
    assert lines[2].startswith("Agent Malik: convicted under PTPA 2018 s.3 (Sessions Court")
    assert "to 84 months' custody and a fine of PKR 1,000,000" in lines[3]
    case = agent.case
    case.refresh_from_db()
    assert case.version == 1  # a justice line does not make a new version of the case


@pytest.mark.parametrize(
    ("stage", "fields", "field"),
    [
        ("charge", {}, "provision"),
        ("verdict", {"provision": ("PTPA_2018", "3")}, "verdict"),
        ("verdict", {"provision": ("PTPA_2018", "3"), "verdict": "transferred"}, "verdict"),
        ("arrest", {}, "country"),
        ("arrest", {"country": "PAK", "verdict": "convicted"}, "verdict"),
        ("sentence", {"country": "PAK", "custody_months": 12}, "stage"),  # no conviction yet
        ("handed_over", {"country": "IRN"}, "authority"),
        ("released", {"country": "PAK"}, "stage"),
    ],
)
def test_a_line_that_does_not_hold_together_is_refused_at_its_field(
    cast, agent, stage, fields, field
):
    if "provision" in fields:
        fields["provision"] = provision(*fields["provision"])
    with pytest.raises(DomainError) as refused:
        add(cast, agent, stage, **fields)
    assert refused.value.field == field
    assert not JusticeEvent.objects.exists()


def test_the_date_must_have_passed(cast, agent):
    with pytest.raises(DomainError, match="future") as refused:
        add(cast, agent, "arrest", -1, country="PAK")
    assert refused.value.field == "date"


def test_a_hand_over_is_a_step_not_a_verdict(cast, agent):
    event = add(cast, agent, "handed_over", country="IRN", authority="Police, Zahedan")
    assert (event.stage, event.verdict) == (JusticeStage.HANDED_OVER, "")
    assert "transferred" not in Verdict.values
    # The case-level closing reason says what it is.
    assert "not a verdict" in CaseOutcome.TRANSFERRED.label


def test_only_the_lead_office_writes_and_a_withdrawn_line_is_kept(cast, agent):
    services.case_share(
        acting_user=cast.uk, case=agent.case, office=cast.offices["ITA"], level=ShareLevel.FULL,
        handling_code="H0",
    )  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.justice_event_add(
            acting_user=fresh(cast.italy), suspect=agent, stage="arrest", date=TODAY(),
            country="ITA",
        )  # fmt: skip
    ptpa3 = provision("PTPA_2018", "3")
    verdict = add(cast, agent, "verdict", provision=ptpa3, verdict="convicted")
    sentence = add(cast, agent, "sentence", custody_months=24, country="PAK")
    with pytest.raises(DomainError, match="sentence first"):
        services.justice_event_withdraw(acting_user=fresh(cast.uk), event=verdict, reason="x")
    services.justice_event_withdraw(acting_user=fresh(cast.uk), event=sentence, reason="Typo")
    services.justice_event_withdraw(acting_user=fresh(cast.uk), event=verdict, reason="Appeal")
    assert JusticeEvent.objects.count() == 2
    assert JusticeEvent.objects.live().count() == 0
    line = agent.case.timeline.filter(kind=TimelineKind.JUSTICE).first()
    assert line.summary.startswith("Withdrawn: Agent Malik: convicted under PTPA 2018 s.3")


def test_a_suspect_with_justice_lines_stays_when_the_list_is_rewritten(cast, agent):
    add(cast, agent, "arrest", country="PAK")
    case = agent.case
    with pytest.raises(DomainError, match="Agent Malik cannot be removed"):
        services.case_set_suspects(acting_user=fresh(cast.uk), case=case, suspects=[])
    with pytest.raises(DomainError, match="cannot be removed"):
        services.suspect_remove(acting_user=fresh(cast.uk), suspect=agent)
    # Rewritten with the same row plus one more: the suspect keeps its row and its lines.
    services.case_set_suspects(
        acting_user=fresh(cast.uk),
        case=case,
        suspects=[
            {"role": "recruiter", "name": "Agent Malik", "nationality": "PAK"},
            {"role": "transporter", "name": "Driver"},
        ],
    )
    assert case.suspects.get(name="Agent Malik").pk == agent.pk
    # Edited in place by id (the admin's inline): same row, new name.
    services.case_set_suspects(
        acting_user=fresh(cast.uk),
        case=case,
        suspects=[
            {"id": agent.pk, "role": "recruiter", "name": "Malik Aslam", "nationality": "PAK"},
        ],
    )
    assert list(case.suspects.values_list("pk", "name")) == [(agent.pk, "Malik Aslam")]
    assert JusticeEvent.objects.get().suspect_id == agent.pk


# --- who sees them ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "sees"),
    [(None, False), (ShareLevel.SUMMARY, False), (ShareLevel.FULL, True)],
)
def test_lines_are_seen_exactly_as_the_suspects_are(cast, login, agent, level, sees):
    add(cast, agent, "arrest", country="PAK", authority="FIA, Lahore")
    if level is not None:
        services.case_share(
            acting_user=cast.uk, case=agent.case, office=cast.offices["ITA"], level=level,
            handling_code="H0",
        )  # fmt: skip
    assert JusticeEvent.objects.visible_to(fresh(cast.italy)).exists() is sees
    response = login(cast.italy).get(agent.case.get_absolute_url())
    body = response.content.decode()
    assert ("FIA, Lahore" in body) is sees
    assert ("Agent Malik" in body) is sees  # the suspect and its lines together
    assert JusticeEvent.objects.visible_to(fresh(cast.hq)).exists()


# --- the pages ----------------------------------------------------------------------------------


def test_the_lead_office_records_a_verdict_on_the_page(cast, login, agent):
    client = login(cast.uk)
    url = reverse("cases:justice_add", args=[agent.case.reference, agent.pk])
    form = client.get(url).content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', form).group(1)
    ptpa3 = provision("PTPA_2018", "3")
    bad = client.post(url, {"form_token": token, "stage": "verdict", "date": "2026-01-05",
                            "provision": ptpa3.pk})  # fmt: skip
    assert bad.status_code == 200
    assert "is not a verdict" in html.unescape(bad.content.decode())  # said at the field
    token = re.search(r'name="form_token" value="([^"]+)"', bad.content.decode()).group(1)
    done = client.post(url, {"form_token": token, "stage": "verdict", "date": "2026-01-05",
                             "provision": ptpa3.pk, "verdict": "convicted",
                             "authority": "Sessions Court, Lahore"})  # fmt: skip
    assert done.status_code == 302 and done.url.endswith(f"#suspect-{agent.pk}")
    page = html.unescape(client.get(agent.case.get_absolute_url()).content.decode())
    suspect = page.split(f'id="suspect-{agent.pk}"')[1].split("</ol>")[0]
    assert "<strong>Convicted</strong> — PTPA 2018 s.3" in suspect
    assert "Sessions Court, Lahore, Pakistan" in suspect
    event = JusticeEvent.objects.get()
    withdraw = reverse("cases:justice_withdraw", args=[agent.case.reference, event.pk])
    assert withdraw in page
    # A share recipient is offered neither form, and is refused them.
    services.case_share(
        acting_user=cast.uk, case=agent.case, office=cast.offices["ITA"], level=ShareLevel.FULL,
        handling_code="H0",
    )  # fmt: skip
    italy = login(cast.italy)
    assert url not in italy.get(agent.case.get_absolute_url()).content.decode()
    assert italy.get(url).status_code == 403


def test_the_case_file_prints_the_live_lines(cast, login, agent):
    ptpa3 = provision("PTPA_2018", "3")
    add(cast, agent, "charge", provision=ptpa3, authority="FIA")
    wrong = add(cast, agent, "arrest", country="ITA", authority="Wrong office")
    services.justice_event_withdraw(acting_user=fresh(cast.uk), event=wrong, reason="Mistake")
    body = html.unescape(
        login(cast.uk).get(reverse("cases:file", args=[agent.case.reference])).content.decode()
    )
    suspects = body.split("<h2>Suspects</h2>")[1].split("<h2>Legal basis</h2>")[0]
    assert "Charged — PTPA 2018 s.3 (FIA, Pakistan)" in suspects
    assert "Wrong office" not in suspects  # withdrawn: in the timeline only


def test_the_case_page_reads_the_lines_with_the_suspects_in_one_query(cast, login, agent):
    client = login(cast.uk)
    client.get(agent.case.get_absolute_url())  # warm the session and scope caches

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(agent.case.get_absolute_url()).status_code == 200
        return len(captured)

    before = count()
    for days in range(30, 20, -1):
        add(cast, agent, "court", days, country="PAK", authority=f"Hearing {days}")
    assert count() == before  # ten more lines, not one query more


# --- the API ------------------------------------------------------------------------------------


def test_the_api_records_and_withdraws_and_the_detail_carries_the_lines(cast, api_client, agent):
    client = api_client(cast.uk)
    ptpa3 = provision("PTPA_2018", "3")
    url = f"{API}/cases/{agent.case.reference}/suspects/{agent.pk}/justice/"
    created = client.post(
        url,
        {"stage": "charge", "date": "2026-02-01", "provision": ptpa3.pk, "authority": "FIA"},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["citation"] == "PTPA 2018 s.3"
    assert created.json()["country"] == "PAK"
    refused = client.post(url, {"stage": "verdict", "date": "2026-02-02"}, format="json")
    assert refused.status_code == 400 and "provision" in str(refused.json())
    detail = client.get(f"{API}/cases/{agent.case.reference}/").json()
    (suspect,) = detail["suspects"]
    assert suspect["id"] == agent.pk
    assert [(j["stage"], j["citation"]) for j in suspect["justice"]] == [
        ("charge", "PTPA 2018 s.3")
    ]
    withdrawn = client.post(
        f"{API}/cases/{agent.case.reference}/justice/{created.json()['id']}/withdraw/",
        {"reason": "Entered twice"},
        format="json",
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_reason"] == "Entered twice"
    # A summary share sees no suspects, and cannot write a line.
    services.case_share(
        acting_user=cast.uk, case=agent.case, partner=cast.partners["BHC"],
        level=ShareLevel.SUMMARY, handling_code="H0",
    )  # fmt: skip
    focal = api_client(cast.focal_point)
    assert "suspects" not in focal.get(f"{API}/cases/{agent.case.reference}/").json()
    assert focal.post(url, {"stage": "arrest", "date": "2026-02-01", "country": "PAK"},
                      format="json").status_code == 403  # fmt: skip


# --- the statistics -----------------------------------------------------------------------------


@pytest.fixture
def demo_world():
    context = office_demo.DemoContext(password="demo-password-for-tests")
    office_demo.seed(context)
    demo.seed(context)
    return context


def stats_table(body: str, slug: str) -> dict[str, list[str]]:
    block = body.split(f'id="table-{slug}"', 1)[1].split("</table>", 1)[0]
    header = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', block, re.S)
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", block, re.S):
        label = re.search(r'<th scope="row">(.*?)</th>', row, re.S)
        if label:
            rows[html.unescape(label.group(1).strip())] = [
                c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            ]
    return {"header": header, **rows}


def test_convictions_by_provision_and_country_agree_with_a_hand_count_of_the_demo(
    demo_world, login, settings
):
    """The demo's verdicts (cases/demo.py), counted by hand:

    - PSMA 2018 s.3, Pakistan: the travel agent of Lahore (ITA sea case) and the network
      organiser of Quetta (TUR route) — 2; the Jiwani boat owner was acquitted — not counted;
    - d.lgs. 286/1998 art. 12, Italy: the boat skipper — 1 (his verdict first entered under
      Codice penale art. 601 was withdrawn: not counted);
    - TCK art. 79, Turkey: the safe-house keeper of Van — 1.
    Four convictions; none under the PTPA (the Mirpur agent is charged, not tried).
    """
    settings.STATS_MIN_CELL = 1  # the demo's counts are small: read them exactly
    hq = demo_world.users["hq.adg"]
    body = login(hq).get("/statistics/").content.decode()
    table = stats_table(body, "convictions-by-provision-and-country")
    assert table.pop("header") == ["Provision", "Pakistan", "Italy", "Türkiye", "Total"]
    assert {label.split(" — ")[0]: cells for label, cells in table.items()} == {
        "PSMA 2018 s.3": ["2", "0", "0", "2"],
        "d.lgs. 286/1998 art. 12": ["0", "1", "0", "1"],
        "TCK art. 79": ["0", "0", "1", "1"],
        "Total": ["2", "1", "1", "4"],
    }
    csv = login(hq).get("/statistics/", {"csv": "convictions-by-provision-and-country"})
    lines = csv.content.decode().splitlines()
    assert lines[-1] == "Total,2,1,1,4"

    # Under the default threshold every count of this table is a small one: none is shown.
    settings.STATS_MIN_CELL = 11
    body = login(hq).get("/statistics/").content.decode()
    table = stats_table(body, "convictions-by-provision-and-country")
    table.pop("header")
    assert {cell for cells in table.values() for cell in cells} <= {"[c]", "0"}
    assert "an unpublished number of conviction" in body


def test_an_office_counts_the_convictions_of_the_cases_it_leads(demo_world, login, settings):
    settings.STATS_MIN_CELL = 1
    # Italy leads the sea case: the skipper (Italy) and the travel agent (Pakistan).
    body = login(demo_world.users["ilo.ita"]).get("/statistics/").content.decode()
    table = stats_table(body, "convictions-by-provision-and-country")
    assert table.pop("header") == ["Provision", "Pakistan", "Italy", "Total"]
    assert {label.split(" — ")[0]: cells for label, cells in table.items()} == {
        "PSMA 2018 s.3": ["1", "0", "1"],
        "d.lgs. 286/1998 art. 12": ["0", "1", "1"],
        "Total": ["1", "1", "2"],
    }
    # Greece sees the Turkish route case in full, but leads no case with a verdict.
    body = login(demo_world.users["ilo.grc"]).get("/statistics/").content.decode()
    assert "No conviction of a suspect recorded in the period." in body


def test_a_case_deleted_as_a_whole_takes_its_suspects_lines_with_it(cast, agent):
    """Cases are never deleted through a door, but retention may: the lines do not block it."""
    from django.db.models import RestrictedError

    add(cast, agent, "arrest", country="PAK")
    with pytest.raises(RestrictedError):
        Suspect.objects.filter(pk=agent.pk).delete()  # alone: refused
    agent.case.delete()
    assert not JusticeEvent.objects.exists() and not Suspect.objects.exists()


def test_a_change_of_roles_says_so_on_the_timeline(cast, agent):
    services.case_set_suspects(
        acting_user=fresh(cast.uk),
        case=agent.case,
        suspects=[
            {"id": agent.pk, "roles": ["recruiter", "financier"], "name": "Agent Malik",
             "nationality": "PAK"},
        ],
    )  # fmt: skip
    line = agent.case.timeline.filter(kind=TimelineKind.EDITED).first()
    assert line.summary == "Gave recruiter Agent Malik (Pakistan) the roles: recruiter, financier"
