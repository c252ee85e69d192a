"""`manage.py seed_demo`: the demo organisations and users, idempotent, refused in production."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from liaison_offices import access
from liaison_offices.models import LinkOffice, Membership, PartnerOrganisation

# Every model of these apps is counted, so demo data added by later issues is covered too.
COUNTED_APPS = ("auth", "guardian", "glo_act", "liaison_offices", "cases", "victims")

LINK_OFFICES = {"HQ", "GRC", "IRN", "OMN", "ITA", "ESP", "TUR", "ARE", "GBR"}


def row_counts() -> dict[str, int]:
    counts = {}
    for label in COUNTED_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            counts[model._meta.label] = model._default_manager.count()
    return counts


def seed(**options):
    call_command("seed_demo", stdout=io.StringIO(), **options)


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True  # pytest-django runs with DEBUG off, like production


@pytest.mark.django_db
def test_seeding_twice_leaves_the_same_rows_in_every_table(debug_on):
    seed()
    first = row_counts()
    seed()
    assert row_counts() == first
    # Not vacuous: the first run created the organisations and people.
    assert first["liaison_offices.LinkOffice"] == len(LINK_OFFICES)
    assert first["liaison_offices.PartnerOrganisation"] >= 7
    assert first["liaison_offices.Membership"] >= 17


DEMO_USERS = {
    "hq.admin": "HQ",
    "ilo.gbr": "GBR",
    "ilo.ita": "ITA",
    "ilo.grc": "GRC",
    "ilo.irn": "IRN",
    "ilo.omn": "OMN",
    "ilo.esp": "ESP",
    "ilo.tur": "TUR",
    "ilo.are": "ARE",
    "fp.gbr": "British High Commission",
    "fp.tur": "Embassy of Turkey",
    "fp.grc": "Embassy of Greece",
    "iom.pk": "International Organization for Migration",
    "inspire.pk": "Inspire Pakistan",
}


@pytest.mark.django_db
def test_it_creates_the_offices_partners_and_users_design_promises(debug_on, monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    seed()
    assert set(LinkOffice.objects.values_list("code", flat=True)) == LINK_OFFICES
    assert LinkOffice.objects.get(code="GBR").country_id == "GBR"
    assert LinkOffice.objects.get(code="HQ").city == "Islamabad"
    assert {
        "British High Commission",
        "Embassy of Turkey",
        "Embassy of Greece",
        "International Organization for Migration",
        "Inspire Pakistan",
        "United Nations Office on Drugs and Crime",
    } <= set(PartnerOrganisation.objects.values_list("name", flat=True))

    for username, organisation in DEMO_USERS.items():
        membership = Membership.objects.select_related("user", "office", "partner").get(
            user__username=username, ended_at__isnull=True
        )
        acts_for = membership.office.code if membership.office else membership.partner.name
        assert acts_for == organisation, username
        assert membership.user.groups.filter(pk=membership.organisation.group_id).exists()
        # The default password README gives.
        assert membership.user.check_password("glo-act-demo-2026"), username

    users = get_user_model().objects
    assert set(access.offices_of(users.get(username="ilo.gbr")).values_list("code", flat=True)) == {
        "GBR"
    }
    hq_admin = users.get(username="hq.admin")
    assert access.is_hq(hq_admin)
    assert hq_admin.is_staff


@pytest.mark.django_db
def test_demo_users_get_the_password_set_in_demo_password(debug_on, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "a-password-for-this-demo")
    seed()
    ilo = get_user_model().objects.get(username="ilo.gbr")
    assert ilo.check_password("a-password-for-this-demo")
    assert not ilo.check_password("glo-act-demo-2026")


@pytest.mark.django_db
def test_it_refuses_to_seed_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off.*--force"):
        seed()
    assert not LinkOffice.objects.exists()
    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_force_seeds_even_when_debug_is_off(settings):
    settings.DEBUG = False
    seed(force=True)
    assert set(LinkOffice.objects.values_list("code", flat=True)) == LINK_OFFICES


@pytest.mark.django_db
def test_seeding_again_gives_earlier_demo_users_their_fictional_names(debug_on):
    from liaison_offices.demo import USERS

    seed()
    User = get_user_model()
    User.objects.filter(username="hq.admin").update(first_name="Earlier", last_name="Name")
    seed()
    expected = {username: (first, last) for username, first, last, *_ in USERS}
    for user in User.objects.filter(username__in=expected):
        assert (user.first_name, user.last_name) == expected[user.username]
        assert user.email.endswith("@demo.glo-act.invalid")
