"""HTCDS fields per victim, the identification screening beside the decision, the data
migration of a case's values to its one victim, and several roles per suspect
(docs/investigation.md#htcds-fields)."""

from __future__ import annotations

import html as html_lib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from cases import services as case_services
from cases.models import Case, Suspect
from glo_act.errors import DomainError
from glo_act.submit_once import new_token
from tests.api import conftest as api_fixtures
from tests.api.conftest import API
from tests.victims.conftest import fresh
from victims import services
from victims.models import Victim
from victims.screening import Screening

pytestmark = pytest.mark.django_db
api_client = api_fixtures.api_client  # the API tests' token client, as a fixture here

HTCDS = {
    "recruitment_methods": ["job_offer", "online_advert"],
    "recruiter_relationship": "agent",
    "means_of_control": ["debt_bondage", "withholds_documents"],
    "labour_sectors": ["construction", "agriculture"],
    "recruitment_platforms": ["facebook"],
    "exploitation_platforms": ["whatsapp", "telegram"],
}


def text(response) -> str:
    return html_lib.unescape(response.content.decode())


def test_a_victim_carries_its_own_htcds_fields_several_sectors_included(cast, register):
    victim = register(**HTCDS).victim
    stored = Victim.objects.get(pk=victim.pk)
    for name, value in HTCDS.items():
        assert getattr(stored, name) == value, name
    with pytest.raises(DomainError) as refused:
        services.victim_update(acting_user=fresh(cast.uk), victim=stored, labour_sectors=["mars"])
    assert refused.value.field == "labour_sectors"
    with pytest.raises(DomainError) as refused:
        services.victim_update(
            acting_user=fresh(cast.uk), victim=stored, recruitment_platforms=["myspace"]
        )
    assert refused.value.field == "recruitment_platforms"


@pytest.mark.parametrize(
    ("age", "acts", "means", "purposes", "meets", "missing"),
    [
        (30, ["recruitment"], ["deception"], ["forced_labour"], True, []),
        (30, ["recruitment"], [], ["forced_labour"], False, ["means"]),
        (16, ["recruitment"], [], ["sexual_exploitation"], True, []),  # a child: no means
        (17, [], [], ["sexual_exploitation"], False, ["act"]),
        (18, ["transfer"], [], ["organ_removal"], False, ["means"]),  # 18 is not a child
        (None, ["harbouring"], [], ["forced_begging"], False, ["means"]),  # age not known
    ],
)
def test_the_screening_reads_act_means_and_purpose_and_no_means_for_a_child(
    register, age, acts, means, purposes, meets, missing
):
    victim = register(
        age_at_identification=age,
        date_of_birth=None,
        screening_acts=acts,
        screening_means=means,
        screening_purposes=purposes,
    ).victim
    screening = Victim.objects.get(pk=victim.pk).screening
    assert screening.is_child is (age is not None and age < 18)
    assert (screening.meets_definition, screening.missing) == (meets, missing)


def test_not_screened_says_so():
    empty = Screening(acts=(), means=(), purposes=(), is_child=False)
    assert not empty.screened and empty.summary == "Not screened."


def test_the_page_shows_the_screening_beside_the_decision_and_warns_without_refusing(
    cast, login, uk_case
):
    client = login(cast.uk)
    response = client.post(
        reverse("victims:register"),
        {
            "form_token": new_token(),
            "case": uk_case.reference,
            "sex": "male",
            "age_at_identification": "30",
            "identified_on": "2026-01-15",
            "identification_status": "actual",
            "identified_by": "police",
            "migration_status": "unknown",
            "screening_acts": ["recruitment"],
            "screening_purposes": ["forced_labour"],
            "recruitment_methods": ["job_offer"],
            "labour_sectors": ["construction", "brick_kilns"],
        },
        follow=True,
    )
    body = text(response)
    victim = Victim.objects.get()
    assert victim.identification_status == "actual"  # the decision stands
    assert "although the screening found no means" in body  # and the officer is told
    facts = body.split('id="facts-title"')[1].split("</section>")[0]
    identification = facts.split("<dt>Identification</dt>")[1].split("</dd>")[0]
    assert 'id="screening"' in identification  # beside the decision
    assert "Found: act, purpose; not found: means." in identification
    assert "<dt>Sectors of forced labour</dt>" in facts
    assert "Construction" in facts and "Brick kilns" in facts
    # The form asks the three questions, with the child rule said at the means.
    form = text(client.get(reverse("victims:register"), {"case": uk_case.reference}))
    assert 'name="screening_acts"' in form and 'name="screening_means"' in form
    assert "Not needed for a child" in form


def test_the_api_gives_the_fields_and_the_screening(cast, register, api_client):
    victim = register(
        age_at_identification=15,
        date_of_birth=None,
        screening_acts=["recruitment"],
        screening_purposes=["forced_begging"],
        **HTCDS,
    ).victim
    body = api_client(cast.uk).get(f"{API}/victims/{victim.code}/").json()
    assert body["labour_sectors"] == ["construction", "agriculture"]
    assert body["exploitation_platforms"] == ["whatsapp", "telegram"]
    assert body["screening"]["means_needed"] is False
    assert body["screening"]["meets_definition"] is True


def test_the_case_page_shows_the_victims_values_beside_the_cases_own(cast, login, register):
    register(**HTCDS)
    register(labour_sectors=["fishing"], passport_number="CD7654321", full_name="Other Person")
    case = Case.objects.get()
    body = text(login(cast.uk).get(case.get_absolute_url()))
    block = body.split('id="victims-htcds"')[1].split("</dl>")[0]
    assert "<dt>Sectors</dt>" in block
    assert [s for s in ("Construction", "Agriculture", "Fishing") if s in block] == [
        "Construction",
        "Agriculture",
        "Fishing",
    ]
    assert "Recruitment agent / employer" in block


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_copies_a_cases_values_to_its_only_victim_and_guesses_nowhere(cast):
    before = [("victims", "0005_victim_version"), ("cases", "0013_suspect_roles")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    OldCase = old.get_model("cases", "Case")
    OldVictim = old.get_model("victims", "Victim")
    OldLink = old.get_model("victims", "VictimCaseLink")
    office = cast.offices["GBR"]
    cases = {
        key: OldCase.objects.create(
            reference=f"GBR-TIP-2019-{n:04d}",
            kind="TIP",
            lead_office_id=office.pk,
            title=key,
            means_of_control=["debt_bondage"],
            labour_sector="agriculture",
            recruiter_relationship="agent",
        )
        for n, key in enumerate(("one", "two"), start=1)
    }
    victims = {}
    for n, (key, case) in enumerate((("alone", "one"), ("a", "two"), ("b", "two")), start=1):
        victims[key] = OldVictim.objects.create(code=f"V-GBR-2019-{n:04d}",
                                                recorded_by_office_id=office.pk)  # fmt: skip
        OldLink.objects.create(victim=victims[key], case=cases[case])
    try:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
        alone = Victim.objects.get(pk=victims["alone"].pk)
        assert (alone.means_of_control, alone.labour_sectors, alone.recruiter_relationship) == (
            ["debt_bondage"],
            ["agriculture"],
            "agent",
        )
        for key in ("a", "b"):  # two victims on one case: whose would it be? Nobody's.
            other = Victim.objects.get(pk=victims[key].pk)
            assert (other.means_of_control, other.labour_sectors) == ([], [])
        assert Case.objects.get(pk=cases["one"].pk).labour_sector == "agriculture"  # kept
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


# --- several roles per suspect ------------------------------------------------------------------


def test_a_suspect_has_several_roles_the_first_the_main_one(cast):
    case = case_services.case_create(
        acting_user=cast.uk,
        lead_office=cast.offices["GBR"],
        kind="TIP",
        title="Roles",
        suspects=[{"name": "Malik", "roles": ["recruiter", "financier", "recruiter"]}],
    )
    suspect = case.suspects.get()
    assert (suspect.role, suspect.roles) == ("recruiter", ["recruiter", "financier"])
    assert suspect.roles_label == "Recruiter, Financier"
    with pytest.raises(DomainError, match="needs a role"):
        case_services.suspect_add(acting_user=fresh(cast.uk), case=case, name="Nobody")
    one = case_services.suspect_add(acting_user=fresh(cast.uk), case=case, role="harbourer")
    assert one.roles == ["harbourer"]


def test_the_case_page_and_form_show_and_take_several_roles(cast, login):
    case = case_services.case_create(
        acting_user=cast.uk, lead_office=cast.offices["GBR"], kind="TIP", title="Roles"
    )
    client = login(cast.uk)
    url = reverse("cases:suspect_add", args=[case.reference])
    response = client.post(
        url,
        {"form_token": new_token(), "name": "Agent Aslam", "roles": ["recruiter", "transporter"],
         "sex": "male", "age_band": "unknown"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Suspect.objects.get().roles == ["recruiter", "transporter"]
    body = text(client.get(case.get_absolute_url()))
    assert "<strong>Agent Aslam</strong> — Recruiter, Transporter" in body
    missing = client.post(url, {"form_token": new_token(), "name": "X", "sex": "male",
                                "age_band": "unknown"})  # fmt: skip
    assert "Tick at least one role." in text(missing)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_turns_each_single_role_into_a_list(cast):
    before = [("cases", "0012_justice_events")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    OldCase = old.get_model("cases", "Case")
    case = OldCase.objects.create(reference="GBR-TIP-2018-0001", kind="TIP",
                                  lead_office_id=cast.offices["GBR"].pk, title="Old")  # fmt: skip
    suspect = old.get_model("cases", "Suspect").objects.create(case=case, role="smuggler")
    try:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
        assert Suspect.objects.get(pk=suspect.pk).roles == ["smuggler"]
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
