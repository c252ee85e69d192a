"""Timeline lines say what changed, in words (cases/timeline.py): route legs added, removed,
re-dated; suspects; the case's fields by their labels, never their codes; in the reader's
language on the page and in the API; an entry written before the words still shows its own
summary."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from cases import services
from cases.constants import TimelineKind
from cases.full_parts import load_full_parts
from cases.models import TimelineEvent

pytestmark = pytest.mark.django_db


def latest(case) -> TimelineEvent:
    return case.timeline.order_by("-id").first()


def shown(case) -> str:
    """The newest line as the case page and the API show it."""
    return load_full_parts(case, owner=True)["timeline"][0]["summary"]


def test_adding_a_leg_says_which_where_how_and_when(cast, uk_case):
    services.route_leg_add(
        acting_user=cast.uk,
        case=uk_case,
        stage="recruitment",
        country="PAK",
        place="Sialkot",
        mode="land",
        date=dt.date(2024, 1, 10),
    )
    services.route_leg_add(
        acting_user=cast.uk,
        case=uk_case,
        stage="transit",
        country="ARE",
        place="Dubai",
        mode="air",
        date=dt.date(2024, 3, 3),
    )
    assert latest(uk_case).summary == "Added a transit leg: Dubai, UAE, by air, 3 Mar 2024"
    assert shown(uk_case) == "Added a transit leg: Dubai, UAE, by air, 3 Mar 2024"
    assert latest(uk_case).changes["fields"]["route"][1][-1].startswith("transit: ARE Dubai")


def test_replacing_the_route_names_each_change(cast, uk_case):
    legs = [
        {
            "stage": "recruitment",
            "country": "PAK",
            "place": "Sialkot",
            "mode": "land",
            "date": "2024-01-10",
        },
        {
            "stage": "transit",
            "country": "ARE",
            "place": "Dubai",
            "mode": "air",
            "date": "2024-03-03",
        },
        {"stage": "exploitation", "country": "GBR", "place": "Leicester", "date": "2024-03-05"},
    ]
    services.case_set_route(acting_user=cast.uk, case=uk_case, legs=legs)
    assert latest(uk_case).summary.startswith(
        "Added a recruitment leg: Sialkot, Pakistan, by land, 10 Jan 2024; "
        "Added a transit leg: Dubai, UAE, by air, 3 Mar 2024"
    )
    moved = [legs[0], {**legs[2], "date": "2024-03-20", "mode": "land"}]
    services.case_set_route(acting_user=cast.uk, case=uk_case, legs=moved)
    assert latest(uk_case).summary == (
        "Removed the transit leg: Dubai, UAE, by air, 3 Mar 2024; "
        "Changed the date of the exploitation leg in Leicester from 5 Mar 2024 to 20 Mar 2024; "
        "Recorded that the exploitation leg in Leicester went by land"
    )


def test_removing_a_leg_says_which(cast, uk_case):
    leg = services.route_leg_add(
        acting_user=cast.uk, case=uk_case, stage="exploitation", country="GBR", place="Leicester"
    )
    services.route_leg_remove(acting_user=cast.uk, leg=leg)
    assert latest(uk_case).summary == "Removed the exploitation leg: Leicester, UK"


def test_fields_read_by_their_labels_not_their_codes(cast, uk_case):
    services.case_update(
        acting_user=cast.uk,
        case=uk_case,
        expected_version=uk_case.version,
        forms_of_exploitation=["forced_labour", "debt_bondage"][:1] + ["domestic_servitude"],
        labour_sector="brick_kilns",
        title="Brick kiln workers, Kasur",
        summary="A long account of the case.",
    )
    text = latest(uk_case).summary
    assert "Added domestic servitude to the forms of exploitation" in text
    assert "Set the labour sector to brick kilns" in text
    assert (
        "Changed the title from “Forced labour ring (GBR)” to “Brick kiln workers, Kasur”" in text
    )
    assert "Changed the summary" in text and "long account" not in text
    assert "_" not in text  # no code such as domestic_servitude or brick_kilns


def test_suspects_added_and_removed(cast, uk_case):
    suspect = services.suspect_add(
        acting_user=cast.uk, case=uk_case, role="recruiter", name="Agent K", nationality="PAK"
    )
    assert latest(uk_case).summary == "Added a suspect: recruiter Agent K (Pakistan)"
    services.suspect_remove(acting_user=cast.uk, suspect=suspect)
    assert latest(uk_case).summary == "Removed a suspect: recruiter Agent K (Pakistan)"


def test_the_page_says_it_in_the_readers_language_and_old_lines_keep_their_words(cast, uk_case):
    services.route_leg_add(
        acting_user=cast.uk, case=uk_case, stage="transit", country="ARE", place="Dubai"
    )
    with translation.override("ur"):
        assert shown(uk_case)  # rendered again in the reader's language, without error
    # An entry from before the words: its stored summary, unchanged.
    TimelineEvent.objects.create(
        case=uk_case,
        kind=TimelineKind.EDITED,
        summary="Edited route recruitment: PAK Sialkot by land 2024-01-10 → …",
        changes={"fields": {"route": [[], []]}},
    )
    assert shown(uk_case) == "Edited route recruitment: PAK Sialkot by land 2024-01-10 → …"


def test_the_case_page_shows_the_line(cast, uk_case, login):
    services.route_leg_add(
        acting_user=cast.uk,
        case=uk_case,
        stage="transit",
        country="ARE",
        place="Dubai",
        mode="air",
        date=dt.date(2024, 3, 3),
    )
    page = login(cast.uk).get(uk_case.get_absolute_url()).content.decode()
    assert "Added a transit leg: Dubai, UAE, by air, 3 Mar 2024" in page
    api = login(cast.uk).get(f"/api/v1/cases/{uk_case.reference}/").json()
    assert api["timeline"][0]["summary"] == "Added a transit leg: Dubai, UAE, by air, 3 Mar 2024"
