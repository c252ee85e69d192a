"""A victim edited from two pages opened at the same version: the later save is refused with a
merge, and nothing the earlier one saved is lost (docs/forms.md).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from glo_act.errors import ConflictError
from glo_act.submit_once import new_token
from victims import services
from victims.models import PersonalDataAccess, Victim

OLD_PHONE = "+44 7700 900123"  # the registration fixture's (invented)
OLD_ADDRESS = "12 Imaginary Road, Slough"


def opened(victim: Victim) -> dict:
    """What the edit form holds when opened now: the record's values and its version."""
    return {**services.victim_values(victim), "version": victim.version}


def save(client, victim: Victim, data: dict, **changes):
    url = reverse("victims:edit", kwargs={"code": victim.code})
    return client.post(url, {**data, **changes, "form_token": new_token()})


def conflict_rows(html: str) -> list[str]:
    box = html.split('class="conflict"')[1].split("</section>")[0]
    return [row.split("</tr>")[0] for row in box.split("<tr")[2:]]


def test_the_later_of_two_tabs_is_refused_with_a_merge_and_keeps_both_changes(cast, login, victim):
    client = login(cast.uk)
    tab_a, tab_b = opened(victim), opened(victim)
    saved = save(client, victim, tab_a, phone="+44 7700 900999")
    assert saved.status_code == 302
    client.get(saved["Location"])  # tab A shows "Changes saved."

    refused = save(client, victim, tab_b, address="7 Other Street, Reading")
    assert refused.status_code == 200
    html = refused.content.decode()
    assert "Someone else changed this victim's record while you were editing" in html
    assert "Changes saved." not in html
    [row] = conflict_rows(html)
    assert "Phone" in row and OLD_PHONE in row and "+44 7700 900999" in row
    assert "Theirs (you had not changed it)" in row
    # Nothing was saved: the first tab's phone stands, the address is as it was.
    stored = Victim.objects.get(pk=victim.pk)
    assert stored.phone.reveal() == "+44 7700 900999"
    assert stored.address.reveal() == OLD_ADDRESS
    # The form now holds their phone and my address, at the current version.
    assert 'value="+44 7700 900999"' in html
    assert "7 Other Street, Reading</textarea>" in html
    assert f'name="version" value="{stored.version}"' in html
    # The current personal data shown is recorded as a look.
    look = PersonalDataAccess.objects.latest("at")
    assert look.fields == ["phone"] and "stale" in look.reason

    again = save(
        client,
        victim,
        {**tab_b, "version": stored.version},
        phone="+44 7700 900999",
        address="7 Other Street, Reading",
    )
    assert again.status_code == 302
    stored = Victim.objects.get(pk=victim.pk)
    assert stored.phone.reveal() == "+44 7700 900999"
    assert stored.address.reveal() == "7 Other Street, Reading"
    assert stored.version == 3


def test_a_field_both_tabs_changed_is_a_clash_and_keeps_my_input(cast, login, victim):
    client = login(cast.uk)
    tab_a, tab_b = opened(victim), opened(victim)
    save(client, victim, tab_a, phone="+44 7700 900111", sex="female")
    html = save(client, victim, tab_b, phone="+44 7700 900222").content.decode()
    rows = conflict_rows(html)
    [phone] = [r for r in rows if "Phone" in r]
    assert 'class="clash"' in phone and "you both changed it" in phone
    [sex] = [r for r in rows if "Sex" in r]
    assert "Theirs" in sex and "Female" in sex
    assert 'value="+44 7700 900222"' in html  # mine, to be checked before saving again
    assert "saving replaces theirs" in html
    assert Victim.objects.get(pk=victim.pk).phone.reveal() == "+44 7700 900111"


def test_the_same_change_in_both_tabs_is_no_clash(cast, login, victim):
    client = login(cast.uk)
    tab_a, tab_b = opened(victim), opened(victim)
    save(client, victim, tab_a, phone="+44 7700 900333")
    html = save(client, victim, tab_b, phone="+44 7700 900333").content.decode()
    assert "you both changed it" not in html and "the form now holds both" in html


def test_the_service_refuses_a_stale_version_naming_fields_not_values(cast, victim):
    services.victim_update(acting_user=cast.uk, victim=victim, phone="+44 7700 900444")
    with pytest.raises(ConflictError) as refused:
        services.victim_update(
            acting_user=cast.uk, victim=victim, expected_version=1, address="Elsewhere"
        )
    assert "phone" in refused.value.message
    assert "900444" not in refused.value.message and OLD_PHONE not in refused.value.message
    assert refused.value.changes == {"phone": (OLD_PHONE, "+44 7700 900444")}
    stored = Victim.objects.get(pk=victim.pk)
    assert stored.address.reveal() == OLD_ADDRESS and stored.version == 2
    services.victim_update(acting_user=cast.uk, victim=victim, expected_version=2, sex="male")
    assert Victim.objects.get(pk=victim.pk).version == 3
