"""The network's two layouts (people/network.py): every edge joins drawn nodes, nothing is
drawn outside its SVG, and a case or office met twice is drawn once in the wide layout."""

from __future__ import annotations

import pytest

from cases.constants import AccessLevel
from people.network import network_of
from people.presentation import case_people


@pytest.mark.django_db
def test_both_layouts_hold_every_node_inside_their_box(cast, make_case, person_with):
    case = make_case("GBR")
    other = make_case("GBR", title="Second case")
    hidden = make_case("ITA")
    person_with(case, ("phone", "0300 1234567"), ("name", "Muhammad Ali"), label="A")
    person_with(case, ("passport", "AB1234567"), role="witness", label="B")
    person_with(other, ("phone", "923001234567"), ("name", "محمد علی"))
    person_with(hidden, ("passport", "ab1234567"))
    network = network_of(case, case_people(cast.uk, case, AccessLevel.LEAD_OFFICE))
    wide, narrow = network.wide, network.narrow
    assert [n.kind for n in wide.nodes].count("other-case") == 1  # met by two identifiers
    assert [n.kind for n in narrow.nodes].count("other-case") == 2  # an outline repeats it
    assert network.has_offices and not network.is_empty
    for layout in (wide, narrow):
        keys = {id(n) for n in layout.nodes}
        for edge in layout.edges:
            assert id(edge.source) in keys and id(edge.target) in keys
        for node in layout.nodes:
            assert node.x >= 0 and node.x + node.width <= layout.width
            assert node.y >= 0 and node.y + node.height <= layout.height
    assert narrow.width <= 340  # a phone's card
