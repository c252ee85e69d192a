"""The law as written (statutes and provisions, the free text read into them) and Europol's
4x4 grading on messages and on answers to cooperation requests (docs/investigation.md)."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from cases import services
from cases.constants import InformationAccuracy, SourceReliability, TimelineKind, Urgency
from cases.law import PROVISIONS, cited_provisions
from cases.models import CooperationRequest, LegalProvision, Statute
from glo_act.errors import DomainError
from tests.api import conftest as api_fixtures
from tests.api.conftest import API
from tests.cases.conftest import fresh

api_client = api_fixtures.api_client  # the API tests' token client, as a fixture here

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def request_to_italy(cast, uk_case):
    services.case_share(
        acting_user=cast.uk, case=uk_case, office=cast.offices["ITA"], level=2, handling_code="H0"
    )
    return services.request_create(
        acting_user=fresh(cast.uk),
        case=uk_case,
        from_office=cast.offices["GBR"],
        to_office=cast.offices["ITA"],
        kind="travel_history",
        urgency=Urgency.NORMAL,
        question="Did they transit FCO?",
    )


# --- grading ------------------------------------------------------------------------------------


def test_the_labels_are_europols_not_the_admiralty_scale():
    assert "unreliable" in SourceReliability.C.label  # was "fairly reliable"
    assert "cannot be assessed" in SourceReliability.X.label
    assert "known personally to the source" in InformationAccuracy.KNOWN_TO_SOURCE.label
    assert "corroborated" in InformationAccuracy.CORROBORATED.label
    assert "cannot be corroborated" in InformationAccuracy.NOT_CORROBORATED.label
    assert [c.value for c in InformationAccuracy] == [1, 2, 3, 4]


def test_an_answer_is_graded_and_the_grade_is_on_the_timeline(cast, request_to_italy):
    answered = services.request_answer(
        acting_user=fresh(cast.italy),
        request=request_to_italy,
        answer="Yes, on 3 March.",
        reliability="B",
        accuracy=2,
    )
    stored = CooperationRequest.objects.get(pk=answered.pk)
    assert (stored.answer_reliability, stored.answer_accuracy, stored.answer_grade) == (
        "B",
        2,
        "B2",
    )
    assert stored.answer_grade_meaning.startswith("B: Source from whom information received has")
    assert "not known personally to the official" in stored.answer_grade_meaning
    line = request_to_italy.case.timeline.filter(kind=TimelineKind.REQUEST_ANSWERED).get()
    assert "(B2)" in line.summary and line.changes["accuracy"] == 2


def test_a_bad_answer_grade_is_refused_and_nothing_is_answered(cast, request_to_italy):
    with pytest.raises(DomainError, match="source reliability") as caught:
        services.request_answer(
            acting_user=fresh(cast.italy), request=request_to_italy, answer="x", reliability="D"
        )
    assert caught.value.field == "reliability"
    with pytest.raises(DomainError, match="1 to 4"):
        services.request_answer(
            acting_user=fresh(cast.italy), request=request_to_italy, answer="x", accuracy=5
        )
    assert CooperationRequest.objects.get(pk=request_to_italy.pk).answer == ""


def test_pages_show_the_grade_with_its_meaning_on_hover(cast, login, request_to_italy):
    services.message_post(
        acting_user=fresh(cast.uk), case=request_to_italy.case, body="Seen.", reliability="C",
        accuracy=3,
    )  # fmt: skip
    client = login(cast.italy)
    page = client.get(reverse("cases:request", kwargs={"pk": request_to_italy.pk}))
    body = text(page)
    assert 'name="reliability"' in body and 'name="accuracy"' in body  # the answer form grades
    response = client.post(
        reverse("cases:request", kwargs={"pk": request_to_italy.pk}),
        {
            "action": "answer",
            "form_token": re.search(r'name="form_token" value="([^"]+)"', body).group(1),
            "answer": "Yes.",
            "reliability": "A",
            "accuracy": "1",
        },
    )
    assert response.status_code == 302
    assert CooperationRequest.objects.get(pk=request_to_italy.pk).answer_grade == "A1"
    body = html.unescape(text(client.get(response.url)))
    assert re.search(
        r'<abbr class="grading" title="A: No doubt about the authenticity[^"]*">A1<', body
    )

    case_page = html.unescape(text(login(cast.uk).get(request_to_italy.case.get_absolute_url())))
    assert re.search(
        r'<abbr class="grading" title="C: Source from whom information received has in most '
        r"instances proved to be unreliable\. 3: Information not known personally to the source "
        r'but corroborated by other information already recorded\.">C3</abbr>',
        case_page,
    )


def test_the_case_file_prints_each_grade_and_a_key_to_them(cast, login, request_to_italy):
    case = request_to_italy.case
    services.message_post(acting_user=fresh(cast.uk), case=case, body="Van seen.", reliability="B",
                          accuracy=2)  # fmt: skip
    services.request_answer(
        acting_user=fresh(cast.italy), request=request_to_italy, answer="No.", reliability="X",
        accuracy=4,
    )  # fmt: skip
    body = html.unescape(text(login(cast.uk).get(reverse("cases:file", args=[case.reference]))))
    key = body.split('class="grade-key"')[1].split("</dl>")[0]
    assert re.findall(r"<dt>(\w\d)</dt>", key) == ["B2", "X4"]
    assert "in most instances proved to be reliable" in key
    assert "cannot be corroborated" in key
    assert ">X4</abbr>" in body.split("Cooperation requests")[-1]


def test_the_api_gives_the_grade_and_takes_one_with_the_answer(cast, api_client, request_to_italy):
    case = request_to_italy.case
    posted = api_client(cast.uk).post(
        f"{API}/cases/{case.reference}/messages/",
        {"body": "Raid planned.", "reliability": "A", "accuracy": 1},
        format="json",
    )
    assert posted.status_code == 201, posted.content
    assert posted.json()["grade"] == "A1"
    assert posted.json()["grade_meaning"].startswith("A: No doubt about the authenticity")
    answered = api_client(cast.italy).post(
        f"{API}/cooperation-requests/{request_to_italy.pk}/answer/",
        {"answer": "Yes.", "reliability": "C", "accuracy": 4},
        format="json",
    )
    assert answered.status_code == 200, answered.content
    body = answered.json()
    assert (body["answer_reliability"], body["answer_accuracy"], body["answer_grade"]) == (
        "C",
        4,
        "C4",
    )
    refused = api_client(cast.italy).post(
        f"{API}/cooperation-requests/{request_to_italy.pk}/answer/",
        {"answer": "Yes.", "reliability": "E"},
        format="json",
    )
    assert refused.status_code == 400
    assert "reliability" in str(refused.json())


# --- the law as written -------------------------------------------------------------------------


def test_each_host_country_and_pakistan_have_their_statutes_and_none_for_iran():
    countries = set(Statute.objects.values_list("country_id", flat=True))
    assert countries == {"PAK", "GBR", "ITA", "ESP", "TUR", "ARE", "GRC", "OMN"}  # not IRN
    assert LegalProvision.objects.count() == len(PROVISIONS)
    citations = {p.citation for p in LegalProvision.objects.select_related("act")}
    assert {
        "PTPA 2018 s.3",
        "Emigration Ordinance 1979 s.17",
        "Modern Slavery Act 2015 s.2",
        "Immigration Act 1971 s.25",
        "Codice penale art. 601",
        "Código Penal art. 177 bis",
        "TCK art. 79",
        "Greek Penal Code art. 323A",
        "Law 4251/2014 art. 30",
        "Federal Law No. 51 of 2006",  # the act as a whole
        "Royal Decree 126/2008",
    } <= citations


@pytest.mark.parametrize(
    ("written", "cited"),
    [
        ("Modern Slavery Act 2015, ss.1-2", {("GBR_MSA_2015", "1"), ("GBR_MSA_2015", "2")}),
        ("Greek Criminal Code, arts. 323A and 351", {("GRC_PC", "323A")}),
        ("Código Penal, art. 318 bis", {("ESP_CP_1995", "318 bis")}),
        ("Testo unico immigrazione, art. 12", {("ITA_DLGS_286_1998", "12")}),
        ("UAE Federal Law No. 51 of 2006 on trafficking", {("ARE_FL_51_2006", "")}),
        (
            "Immigration Act 1971, s.25; Modern Slavery Act 2015 s. 2",
            {("GBR_IA_1971", "25"), ("GBR_MSA_2015", "2")},
        ),
        ("Codice penale (no article given)", set()),  # no whole-act provision to fall back to
        ("Penal Code of Iran, art. 1", set()),
    ],
)
def test_free_text_is_read_for_the_provisions_it_names(written, cited):
    loaded = [(i, act, section) for i, (act, section, _title) in enumerate(PROVISIONS)]
    found = cited_provisions(written, loaded)
    assert {(loaded[i][1], loaded[i][2]) for i in found} == cited


def test_a_case_cites_pakistani_and_host_country_provisions_shown_apart(cast, login, make_case):
    ptpa = LegalProvision.objects.get(act="PTPA_2018", section="3")
    msa = LegalProvision.objects.get(act="GBR_MSA_2015", section="1")
    case = make_case("GBR", legal_provisions=[msa.pk, ptpa.pk], host_country_law="s.1(2) only")
    body = text(login(cast.uk).get(case.get_absolute_url()))
    legal = body.split('id="legal-title"')[1].split("</section>")[0]
    pakistan, host = legal.split("<h3>Host country</h3>")
    assert "<strong>PTPA 2018 s.3</strong> — Trafficking in persons" in pakistan
    assert "Modern Slavery Act" not in pakistan
    assert "<strong>Modern Slavery Act 2015 s.1</strong>" in host
    assert "s.1(2) only" in host  # the notes stay


def test_the_api_lists_the_provisions_pakistan_first_and_sets_them_by_id(
    cast, api_client, uk_case, django_assert_max_num_queries
):
    client = api_client(cast.uk)
    with django_assert_max_num_queries(8):  # one for the provisions, whatever their number
        listed = client.get(f"{API}/legal-provisions/").json()
    assert len(listed) == LegalProvision.objects.count()
    countries = [row["country"] for row in listed]
    assert countries[:7] == ["PAK"] * 7 and "PAK" not in countries[7:]
    tck = next(row for row in listed if row["citation"] == "TCK art. 80")
    assert tck["act_title"].startswith("Türk Ceza Kanunu")
    etag = client.get(f"{API}/cases/{uk_case.reference}/")["ETag"]
    changed = client.patch(
        f"{API}/cases/{uk_case.reference}/",
        {"legal_provision_ids": [tck["id"]]},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert changed.status_code == 200, changed.content
    assert [p["citation"] for p in changed.json()["legal_provisions"]] == ["TCK art. 80"]
    etag = changed["ETag"]
    unknown = client.patch(
        f"{API}/cases/{uk_case.reference}/",
        {"legal_provision_ids": [987654]},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert unknown.status_code == 400


def test_hq_adds_a_statute_with_its_provisions_in_the_admin(cast, login):
    client = login(cast.hq)
    response = client.post(
        reverse("admin:cases_statute_add"),
        {
            "code": "IRN_CHT_2004",
            "country": "IRN",
            "title": "Law on Combating Human Trafficking",
            "short_title": "Iran CHT Law",
            "unit": "article",
            "provisions-TOTAL_FORMS": "1",
            "provisions-INITIAL_FORMS": "0",
            "provisions-MIN_NUM_FORMS": "0",
            "provisions-MAX_NUM_FORMS": "1000",
            "provisions-0-section": "1",
            "provisions-0-title": "Definition of trafficking",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    added = LegalProvision.objects.select_related("act").get(act="IRN_CHT_2004")
    assert added.citation == "Iran CHT Law art. 1"
    # A provision a case cites cannot be deleted, nor its statute.
    ptpa = Statute.objects.get(code="PTPA_2018")
    assert client.get(reverse("admin:cases_statute_delete", args=[ptpa.pk])).status_code == 403
