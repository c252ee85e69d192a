"""One-time form tokens (glo_act/submit_once.py, docs/forms.md).

Two house rules are enforced here for every form and view, present and future:

- every POST form in the page templates carries `{% form_token %}`;
- every page view that accepts a POST says in its own `form_token` how a second post of the
  same form is met.

Then each page form that creates something is sent twice with the same token (one record,
the second post sent to the first result) and once without a token (refused, nothing saved).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from cases import services as case_services
from cases.constants import CaseKind, HandlingCode, RequestKind, ShareLevel, Urgency
from cases.models import (
    Case,
    CaseFlag,
    CaseShare,
    CooperationRequest,
    HandOver,
    JusticeEvent,
    Message,
    RouteLeg,
    Suspect,
)
from glo_act import submit_once
from glo_act.models import FormSubmission
from glo_act.submit_once import FIELD, REQUIRED
from liaison_offices.constants import Service
from people import services as people_services
from people.models import Identifier, PersonOfInterest
from victims import services as victim_services
from victims.constants import ConsentPurpose
from victims.models import Consent, Referral, ReferralUpdate, ReintegrationFollowUp, Victim

ROOT = Path(settings.BASE_DIR)
RULE = "docs/forms.md"

# Forms that may go without a token, and why. Keep this list short.
TEMPLATES_WITHOUT_TOKEN = {
    # Signing in: there is no user yet to spend a token for, and nothing is created.
    "templates/registration/login.html",
    # Setting a password from a one-time link: the person is not signed in; the link works
    # once.
    "templates/accounts/password_set.html",
}


def page_templates() -> list[Path]:
    found = sorted((ROOT / "templates").rglob("*.html"))
    for app in sorted(p.parent for p in ROOT.glob("*/apps.py")):  # every app of the project
        found += sorted((app / "templates").rglob("*.html"))
    # The HQ admin's own templates post to Django's admin views, which are not page forms.
    return [p for p in found if "admin" not in p.relative_to(ROOT).parts]


FORM = re.compile(r"<form\b(?P<tag>[^>]*)>(?P<body>.*?)</form>", re.S | re.I)
POST = re.compile(r"""method\s*=\s*["']?post""", re.I)


def test_every_post_form_in_the_page_templates_carries_the_form_token():
    missing = []
    for path in page_templates():
        name = str(path.relative_to(ROOT))
        source = path.read_text()
        for form in FORM.finditer(source):
            if not POST.search(form["tag"]) or name in TEMPLATES_WITHOUT_TOKEN:
                continue
            if "{% form_token %}" not in form["body"]:
                line = source.count("\n", 0, form.start()) + 1
                missing.append(f"{name}:{line}")
    assert not missing, (
        "POST forms without the one-time form token: "
        + ", ".join(missing)
        + ". Add {% form_token %} next to {% csrf_token %} inside each of these forms (it is a "
        "builtin, no {% load %} needed), and guard the view behind it with "
        f"glo_act.submit_once ({RULE})."
    )


def test_the_crawl_sees_the_forms_it_checks():
    """The crawl above would pass on an empty list: it must see the forms that exist."""
    names = {str(p.relative_to(ROOT)) for p in page_templates()}
    assert {
        "templates/cases/case_form.html",
        "templates/cases/_messages.html",
        "templates/victims/victim_register.html",
        "templates/victims/referral_detail.html",
    } <= names
    source = (ROOT / "templates/cases/_messages.html").read_text()
    assert [f for f in FORM.finditer(source) if POST.search(f["tag"])]


def page_views():
    """(route, view class) for every class-based page view in the URLs, admin and API aside."""

    def walk(patterns, prefix=""):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                if route.startswith(("admin/", "api/")):
                    continue
                yield from walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern):
                view_class = getattr(entry.callback, "view_class", None)
                if view_class is not None and route.startswith(("accounts/",)):
                    continue  # Django's sign-in and sign-out views
                if view_class is not None:
                    yield route, view_class

    return list(walk(get_resolver().url_patterns))


def test_every_page_view_that_accepts_a_post_says_how_a_second_post_is_met():
    posting = [(route, cls) for route, cls in page_views() if hasattr(cls, "post")]
    assert len(posting) >= 15  # the crawl reaches the views it should
    unsaid = [
        f"{cls.__module__}.{cls.__qualname__} (/{route})"
        for route, cls in posting
        if cls.__dict__.get("form_token") not in submit_once.POLICIES
    ]
    assert not unsaid, (
        "Page views accepting a POST without their own `form_token`: "
        + "; ".join(unsaid)
        + ". In each class write `form_token = submit_once.REQUIRED` if the post creates "
        "something (and add it to CREATING_FORMS in tests/test_submit_once.py), or "
        "`submit_once.WHEN_SENT` if it changes an existing record whose version or state "
        "refuses a replay; a view not derived from glo_act.pages.DomainFormView calls "
        f"submit_once.run around its service call ({RULE})."
    )
    unguarded = [
        f"{cls.__module__}.{cls.__qualname__}"
        for route, cls in posting
        if cls.__dict__["form_token"] != submit_once.REPEATABLE
        and not issubclass(cls, submit_once.SpentTokenMixin)
    ]
    assert not unguarded, (
        "Page views checking the form token without sending a spent token back to its first "
        "result: " + "; ".join(unguarded) + ". Add glo_act.submit_once.SpentTokenMixin to "
        f"their bases, after LoginRequiredMixin ({RULE})."
    )


# Function page views that accept a POST without saying how a repeat is met, and why.
FUNCTION_VIEWS_WITHOUT_TOKEN = {
    # Not signed in (no user to spend a token for); the link itself works once.
    "accounts.views.password_by_link",
}
PROBES = {"healthz", "readyz"}  # a load balancer's, not a page


def function_views():
    """(route, URL pattern, view) for every function page view in the URLs, admin and API
    aside."""

    def walk(patterns, prefix=""):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                if route.startswith(("admin/", "api/")):
                    continue
                yield from walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern) and not hasattr(entry.callback, "view_class"):
                if route not in PROBES:
                    yield route, entry.pattern, entry.callback

    return list(walk(get_resolver().url_patterns))


def _sample_kwargs(pattern) -> dict:
    """A value of the right type for each of a route's parameters (the view is only asked
    whether it takes a POST at all)."""
    samples = {"int": "1", "uuid": "00000000-0000-0000-0000-000000000001"}
    return {
        name: converter.to_python(samples.get(type(converter).__name__[:-9].lower(), "x"))
        for name, converter in getattr(pattern, "converters", {}).items()
    }


def test_every_function_page_view_says_how_a_second_post_is_met_or_refuses_posts(cast):
    """A function view states its rule with `@submit_once.guard(...)`; one that does not must
    refuse a POST (`require_safe`), or it could save a double click twice unnoticed."""
    from django.contrib.sessions.backends.db import SessionStore

    views = function_views()
    names = {f"{v.__module__}.{v.__qualname__}" for _, _, v in views}
    assert {
        "accounts.views.hq_user",
        "accounts.views.security",
        "liaison_offices.views.inbox",
    } <= names
    unsaid = []
    for route, pattern, view in views:
        name = f"{view.__module__}.{view.__qualname__}"
        if name in FUNCTION_VIEWS_WITHOUT_TOKEN:
            continue
        if getattr(view, "form_token", None) in submit_once.POLICIES:
            continue
        request = RequestFactory().post(f"/{route}", {})
        request.user, request.session = cast.hq, SessionStore()
        try:
            answer = view(request, **_sample_kwargs(pattern)).status_code
        except Exception as exc:  # noqa: BLE001 — it went on to read the post: that is the point
            answer = type(exc).__name__
        if answer != 405:
            unsaid.append(f"{name} (/{route}: a POST gave {answer})")
    assert not unsaid, (
        "Function page views that take a POST without saying how a second post of the same "
        "form is met: " + "; ".join(unsaid) + ". Decorate each, under login_required, with "
        "`@submit_once.guard(submit_once.REQUIRED)` if the post creates something (and call "
        "submit_once.run around its service call, and test it below), "
        "`@submit_once.guard(submit_once.WHEN_SENT)` if it changes what exists, or "
        "`@submit_once.guard(submit_once.SESSION_ONLY)` if it changes only the session; a view "
        f"that only shows something takes `@require_safe` ({RULE})."
    )


# --- each form that creates something ---------------------------------------------------------


@dataclass
class Sent:
    user: Any
    url: str
    data: dict
    count: Any  # () -> int: the rows this form creates
    headers: dict | None = None


def _case(cast) -> Case:
    return case_services.case_create(
        acting_user=cast.uk, lead_office=cast.offices["GBR"], kind=CaseKind.TIP, title="Farm"
    )


def _victim(cast) -> Victim:
    return victim_services.victim_register(
        acting_user=cast.uk,
        case=_case(cast),
        full_name="Zarmina Testwala",
        consents=[
            {"purpose": ConsentPurpose.DATA_PROCESSING},
            {
                "purpose": ConsentPurpose.REFERRAL,
                "partner": cast.partners["IOM"],
                "service": Service.SHELTER,
            },
        ],
    ).victim


def _accepted_referral(cast) -> Referral:
    referral = victim_services.referral_create(
        acting_user=cast.uk, victim=_victim(cast), partner=cast.partners["IOM"], service="shelter"
    )
    return victim_services.referral_accept(acting_user=cast.provider, referral=referral, note="")


def case_create(cast):
    data = {"kind": "TIP", "lead_office": cast.offices["GBR"].pk, "title": "Brick kiln"}
    return Sent(cast.uk, reverse("cases:create"), data, Case.objects.count)


def case_share(cast):
    case = _case(cast)
    data = {"recipient": f"office:{cast.offices['ITA'].pk}", "level": "1", "handling_code": "H1"}
    url = reverse("cases:share", kwargs={"reference": case.reference})
    return Sent(cast.uk, url, data, CaseShare.objects.count)


def message_post(cast, **headers):
    case = _case(cast)
    data = {"body": "Employer identified.", "reliability": "B", "accuracy": "2"}
    url = reverse("cases:message_post", kwargs={"reference": case.reference})
    return Sent(cast.uk, url, data, Message.objects.count, headers or None)


def message_post_htmx(cast):
    return message_post(cast, HTTP_HX_REQUEST="true")


def request_create(cast):
    case = _case(cast)
    case_services.case_share(
        acting_user=cast.uk,
        case=case,
        office=cast.offices["ITA"],
        level=ShareLevel.FULL,
        handling_code=HandlingCode.H0,
    )
    data = {
        "recipient": f"office:{cast.offices['ITA'].pk}",
        "kind": RequestKind.WITNESS_STATEMENT,
        "urgency": Urgency.URGENT,
        "question": "Can the farm owner be interviewed?",
    }
    url = reverse("cases:request_create", kwargs={"reference": case.reference})
    return Sent(cast.uk, url, data, CooperationRequest.objects.count)


def request_message(cast):
    case = _case(cast)
    case_services.case_share(
        acting_user=cast.uk,
        case=case,
        office=cast.offices["ITA"],
        level=ShareLevel.FULL,
        handling_code=HandlingCode.H0,
    )
    request = case_services.request_create(
        acting_user=cast.uk,
        case=case,
        from_office=cast.offices["GBR"],
        to_office=cast.offices["ITA"],
        kind=RequestKind.EVIDENCE,
        urgency=Urgency.NORMAL,
        question="Bank records?",
    )
    data = {"action": "message", "body": "Any news?", "reliability": "A", "accuracy": "1"}
    url = reverse("cases:request", kwargs={"pk": request.pk})
    return Sent(cast.uk, url, data, Message.objects.count)


def route_add(cast):
    case = _case(cast)
    data = {"stage": "transit", "country": "TUR", "place": "Van", "mode": "land"}
    url = reverse("cases:route_add", kwargs={"reference": case.reference})
    return Sent(cast.uk, url, data, RouteLeg.objects.count)


def suspect_add(cast):
    case = _case(cast)
    data = {
        "name": "Bilal",
        "roles": ["smuggler"],  # several roles since HTCDS (docs/investigation.md)
        "nationality": "PAK",
        "sex": "male",
        "age_band": "30-38",
    }
    url = reverse("cases:suspect_add", kwargs={"reference": case.reference})
    return Sent(cast.uk, url, data, Suspect.objects.count)


def victim_register(cast):
    case = _case(cast)
    data = {
        "case": case.reference,
        "full_name": "Nadia Invented",
        "sex": "female",
        "identified_on": "2026-01-15",
        "identification_status": "possible",
        "migration_status": "unknown",
        "nationality": "PAK",
        "consent-data_processing": "on",
    }
    return Sent(cast.uk, reverse("victims:register"), data, Victim.objects.count)


def consent_record(cast):
    victim = _victim(cast)
    data = {"statistics": "on"}
    url = reverse("victims:consent_record", kwargs={"code": victim.code})
    return Sent(cast.uk, url, data, Consent.objects.count)


def referral_create(cast):
    victim = _victim(cast)
    data = {"target": f"{cast.partners['IOM'].pk}:shelter", "note": "Bed needed tonight"}
    url = reverse("victims:refer", kwargs={"code": victim.code})
    return Sent(cast.uk, url, data, Referral.objects.count)


def followup_schedule(cast):
    referral = _accepted_referral(cast)
    soon = timezone.localdate() + dt.timedelta(days=30)
    data = {"first": soon.isoformat()}
    url = reverse("victims:followup_schedule", kwargs={"pk": referral.pk})
    return Sent(cast.uk, url, data, ReintegrationFollowUp.objects.count)


def referral_progress(cast):
    referral = _accepted_referral(cast)
    data = {"note": "Placed in the Lahore shelter"}
    url = reverse("victims:referral_action", kwargs={"pk": referral.pk, "action": "progress"})
    return Sent(cast.provider, url, data, ReferralUpdate.objects.count)


def person_add(cast):
    case = _case(cast)
    data = {"role": "witness", "label": "Witness 1"}
    url = reverse("people:person_add", kwargs={"reference": case.reference})
    return Sent(cast.uk, url, data, PersonOfInterest.objects.count)


def identifier_add(cast):
    case = _case(cast)
    person = people_services.person_add(acting_user=cast.uk, case=case, role="witness", label="W")
    data = {"kind": "phone", "value": "0300 1234567"}
    url = reverse("people:identifier_add", kwargs={"reference": case.reference, "pk": person.pk})
    return Sent(cast.uk, url, data, Identifier.objects.count)


def match_request(cast):
    case = _case(cast)
    other = case_services.case_create(
        acting_user=cast.italy, lead_office=cast.offices["ITA"], kind=CaseKind.SOM, title="Boat"
    )
    for owner, held in ((cast.uk, case), (cast.italy, other)):
        person = people_services.person_add(acting_user=owner, case=held, role="suspect", label="S")
        identifier = people_services.identifier_add(
            acting_user=owner, person=person, kind="phone", value="0300 1234567"
        )
    identifier = Identifier.objects.get(case=case)
    data = {"identifier": identifier.pk, "office": cast.offices["ITA"].pk, "urgency": "normal"}
    url = reverse("people:match_request", kwargs={"reference": case.reference})
    return Sent(cast.uk, url, data, CooperationRequest.objects.count)


def message_with_files(cast):
    """The case's message form as it is sent when files may go with it (evidence/views.py);
    sent here without files, so no scanner is needed."""
    case = _case(cast)
    data = {"body": "Photographs of the kiln attached.", "reliability": "B", "accuracy": "2"}
    url = reverse("evidence:message_post", kwargs={"reference": case.reference})
    return Sent(cast.uk, url, data, Message.objects.count)


def justice_event_add(cast):
    case = _case(cast)
    suspect = case_services.suspect_add(
        acting_user=cast.uk, case=case, role="smuggler", name="Bilal"
    )
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    data = {"stage": "arrest", "date": yesterday.isoformat(), "country": "GBR"}
    url = reverse("cases:justice_add", kwargs={"reference": case.reference, "pk": suspect.pk})
    return Sent(cast.uk, url, data, JusticeEvent.objects.count)


def flag_add(cast):
    case = _case(cast)
    soon = timezone.localdate() + dt.timedelta(days=14)
    data = {"reason": "Court hearing in Lahore", "due_on": soon.isoformat()}
    url = reverse("cases:flag_add", kwargs={"reference": case.reference})
    return Sent(cast.uk, url, data, CaseFlag.objects.count)


def hand_over(cast):
    case = _case(cast)
    data = {"to_office": cast.offices["ESP"].pk, "keep_level": "1", "keep_handling_code": "H0"}
    url = reverse("cases:handover", kwargs={"reference": case.reference})
    return Sent(cast.uk, url, data, HandOver.objects.count)


def referral_progress_with_files(cast):
    """The same report through the form that takes files (evidence/views.py)."""
    referral = _accepted_referral(cast)
    data = {"note": "Placed in the Lahore shelter"}
    url = reverse("evidence:update_post", kwargs={"pk": referral.pk, "action": "progress"})
    return Sent(cast.provider, url, data, ReferralUpdate.objects.count)


CREATING_FORMS = [
    case_create,
    case_share,
    message_post,
    message_post_htmx,
    request_create,
    request_message,
    route_add,
    suspect_add,
    victim_register,
    consent_record,
    referral_create,
    followup_schedule,
    referral_progress,
    person_add,
    identifier_add,
    match_request,
    flag_add,
    hand_over,
    referral_progress_with_files,
    message_with_files,
    justice_event_add,
]


def problems(response) -> str:
    """The error summary of a form drawn again (for a failing assertion's message)."""
    body = response.content.decode()
    return body[body.find("error-summary") :][:1500] if "error-summary" in body else body[:300]


def post(login, sent: Sent, data: dict):
    return login(sent.user).post(sent.url, data, **(sent.headers or {}))


# Function views that create something, tested at the end of this file (they answer with a
# page showing what they made, not a redirect to it).
CREATING_FUNCTION_VIEWS = {
    "accounts.views.hq_user",
    "accounts.views.security",
    "accounts.views.second_step",
}


def test_every_view_that_creates_something_is_posted_twice_here(cast):
    """`REQUIRED` says a view creates something: each such view must be in CREATING_FORMS (or,
    a function view, among the accounts tests below), or its repeat goes untested."""
    posted = {resolve(form(cast).url).func.view_class for form in CREATING_FORMS}
    creating = {cls for _, cls in page_views() if cls.__dict__.get("form_token") == REQUIRED}
    untested = sorted(f"{c.__module__}.{c.__qualname__}" for c in creating - posted)
    assert not untested, (
        "Views with form_token = REQUIRED that no CREATING_FORMS entry posts: "
        + ", ".join(untested)
        + ". Add a function to CREATING_FORMS in tests/test_submit_once.py returning the "
        "Sent(user, url, data, count) of a post that creates one row."
    )
    functions = {
        f"{view.__module__}.{view.__qualname__}"
        for _, _, view in function_views()
        if getattr(view, "form_token", None) == REQUIRED
    }
    assert functions == CREATING_FUNCTION_VIEWS, (
        "A function view that creates something needs its own test of a repeat below, then "
        "its name in CREATING_FUNCTION_VIEWS."
    )


@pytest.mark.parametrize("form", CREATING_FORMS, ids=lambda f: f.__name__)
def test_the_same_form_sent_twice_saves_once(cast, login, form):
    sent = form(cast)
    before = sent.count()
    data = {**sent.data, submit_once.FIELD: submit_once.new_token()}
    first = post(login, sent, data)
    assert sent.count() == before + 1, problems(first)
    second = post(login, sent, data)
    assert sent.count() == before + 1  # not saved again
    if sent.headers:  # htmx: the thread is swapped in, saying so
        assert "had already been posted" in second.content.decode()
        return
    assert first.status_code == 302 and second.status_code == 302
    assert second["Location"] == first["Location"]  # to what the first post made
    shown = login(sent.user).get(second["Location"]).content.decode()
    assert "had already been sent and was saved then" in shown


@pytest.mark.parametrize("form", CREATING_FORMS, ids=lambda f: f.__name__)
def test_a_creating_form_without_its_token_saves_nothing_and_says_send_again(cast, login, form):
    sent = form(cast)
    before = sent.count()
    response = post(login, sent, sent.data)
    assert sent.count() == before
    body = response.content.decode()
    if response.status_code == 302:  # the request page says it on top, after the redirect
        body = login(sent.user).get(response["Location"]).content.decode()
    assert "could not be matched to the page it came from" in body
    if response.status_code == 200:  # the form is drawn again, with a fresh token
        assert f'name="{submit_once.FIELD}"' in body
    assert not FormSubmission.objects.exists()


def test_a_refused_post_leaves_its_token_unspent(cast, login):
    sent = case_create(cast)
    token = submit_once.new_token()
    refused = post(login, sent, {**sent.data, "title": "", submit_once.FIELD: token})
    assert refused.status_code == 200 and Case.objects.count() == 0
    assert not FormSubmission.objects.exists()
    saved = post(login, sent, {**sent.data, submit_once.FIELD: token})
    assert saved.status_code == 302 and Case.objects.count() == 1
    assert FormSubmission.objects.get().result_url == saved["Location"]


def test_the_rendered_form_carries_a_fresh_token_each_time(cast, login):
    client = login(cast.uk)
    pattern = rf'<form method="post" class="card form".*?name="{submit_once.FIELD}" value="([^"]+)"'

    def token():
        return re.findall(pattern, client.get(reverse("cases:create")).content.decode(), re.S)

    first, second = token(), token()
    assert len(first) == 1 and len(second) == 1 and first != second
    sent = case_create(cast)
    assert post(login, sent, {**sent.data, submit_once.FIELD: first[0]}).status_code == 302
    assert Case.objects.count() == 1


def test_a_token_is_the_users_own(cast, login):
    """Another user's post with the same token is a separate submission, not a replay."""
    sent = case_create(cast)
    token = submit_once.new_token()
    post(login, sent, {**sent.data, submit_once.FIELD: token})
    hq = Sent(cast.hq, sent.url, sent.data, sent.count)
    assert post(login, hq, {**sent.data, submit_once.FIELD: token}).status_code == 302
    assert Case.objects.count() == 2


def test_a_token_spent_on_one_form_is_not_an_answer_for_another(cast, login):
    token = submit_once.new_token()
    sent = case_create(cast)
    post(login, sent, {**sent.data, submit_once.FIELD: token})
    other = route_add(cast)
    response = post(login, other, {**other.data, submit_once.FIELD: token})
    assert response.status_code == 200 and RouteLeg.objects.count() == 0
    assert "could not be matched" in response.content.decode()


def test_an_edit_sent_twice_is_saved_once_not_refused_as_stale(cast, login):
    """A double click on "Save": the second post would otherwise meet the version it bumped."""
    case = _case(cast)
    url = reverse("cases:edit", kwargs={"reference": case.reference})
    data = {"title": "Renamed", "version": case.version, submit_once.FIELD: submit_once.new_token()}
    assert post(login, Sent(cast.uk, url, {}, None), data).status_code == 302
    again = post(login, Sent(cast.uk, url, {}, None), data)
    assert again.status_code == 302 and again["Location"] == case.get_absolute_url()
    case.refresh_from_db()
    assert case.title == "Renamed" and case.version == 2


# --- two posts at once, on PostgreSQL's unique index ------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row waits are PostgreSQL's")
def test_a_second_post_while_the_first_is_saving_waits_for_it_and_saves_nothing(cast):
    token = submit_once.new_token()
    started, release = threading.Event(), threading.Event()
    outcomes: dict[str, submit_once.Outcome] = {}

    def send(name: str, slow: bool):
        request = RequestFactory().post(reverse("cases:create"), {submit_once.FIELD: token})
        request.user = cast.uk

        def perform():
            case = case_services.case_create(
                acting_user=cast.uk, lead_office=cast.offices["GBR"], kind="TIP", title=name
            )
            if slow:  # the first post is still saving: its transaction stays open
                started.set()
                release.wait(10)
            return case

        try:
            outcomes[name] = submit_once.run(
                request, perform, result_url=lambda c: c.get_absolute_url(), required=True
            )
        finally:
            connections.close_all()  # this thread's connection, not the test's

    first = threading.Thread(target=send, args=("first", True))
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=send, args=("second", False))
    second.start()
    second.join(1)
    assert second.is_alive(), "the second post did not wait for the first to end"
    release.set()
    first.join(10)
    second.join(10)
    assert not outcomes["first"].repeated and outcomes["second"].repeated
    assert outcomes["second"].url == outcomes["first"].url
    assert list(Case.objects.values_list("title", flat=True)) == ["first"]


# --- the function views that create something (accounts) --------------------------------------


def _hq_page(user) -> str:
    return reverse("accounts:hq_user", kwargs={"username": user.username})


@pytest.mark.parametrize("action", ["link", "reset", "unlock"])
def test_an_hq_action_on_a_user_sent_twice_is_done_once_and_the_repeat_says_so(cast, login, action):
    from accounts.models import AccountEvent

    client = login(cast.hq)
    data = {"action": action, f"{action}-reason": "Asked by phone", FIELD: submit_once.new_token()}
    first = client.post(_hq_page(cast.uk), data)
    assert first.status_code == (200 if action == "link" else 302), problems(first)
    if action == "link":
        assert "/accounts/password/" in first.context["link"]
    events = AccountEvent.objects.filter(user=cast.uk, acting_user=cast.hq)
    assert events.count() == 1
    second = client.post(_hq_page(cast.uk), data)
    assert second.status_code == 302 and second["Location"] == _hq_page(cast.uk)
    assert events.count() == 1, "done once"
    shown = client.get(second["Location"]).content.decode()
    assert "had already been sent and was done then; it was not done a second time" in shown
    assert "/accounts/password/" not in shown, "no second link"


def test_an_hq_action_without_its_token_does_nothing_and_says_send_again(cast, login):
    from accounts.models import AccountEvent

    client = login(cast.hq)
    refused = client.post(_hq_page(cast.uk), {"action": "link", "link-reason": "Forgot it"})
    assert refused.status_code == 400 and refused.context["link"] is None
    assert "could not be matched to the page it came from" in refused.content.decode()
    assert not AccountEvent.objects.exists()


def test_new_recovery_codes_sent_twice_are_made_once_and_the_repeat_says_so(cast, login):
    from django_otp.plugins.otp_static.models import StaticToken

    from accounts.models import AccountEvent, AccountEventKind
    from tests.two_factor import authenticator_of, code_for

    client = login(cast.uk)
    url = reverse("accounts:security")
    data = {"code": code_for(authenticator_of(cast.uk)), FIELD: submit_once.new_token()}
    first = client.post(url, data)
    assert first.status_code == 200 and "<code>" in first.content.decode(), problems(first)
    made = set(StaticToken.objects.values_list("token", flat=True))
    assert len(made) == 10
    second = client.post(url, data)  # the same code: it works once, and the repeat is known
    assert second.status_code == 302 and second["Location"] == url
    assert set(StaticToken.objects.values_list("token", flat=True)) == made, "the first codes hold"
    kinds = AccountEventKind.RECOVERY_CODES_NEW
    assert AccountEvent.objects.filter(user=cast.uk, kind=kinds).count() == 1
    assert "none were made a second time" in client.get(url).content.decode()


def test_new_recovery_codes_without_a_token_spend_neither_the_code_nor_the_codes(cast, login):
    from django_otp.plugins.otp_static.models import StaticToken

    from tests.two_factor import authenticator_of, code_for

    client = login(cast.uk)
    code = code_for(authenticator_of(cast.uk))
    refused = client.post(reverse("accounts:security"), {"code": code})
    assert refused.status_code == 400
    assert "could not be matched to the page it came from" in refused.content.decode()
    assert not StaticToken.objects.exists()
    # The code was not spent on the refused post: the same code works with the form's token.
    again = client.post(
        reverse("accounts:security"), {"code": code, FIELD: submit_once.new_token()}
    )
    assert again.status_code == 200 and StaticToken.objects.count() == 10


def test_turning_on_two_factor_sent_twice_enrols_once_and_points_to_the_codes(cast, client):
    from django_otp.plugins.otp_static.models import StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import AccountEvent, AccountEventKind
    from tests.two_factor import code_for, password_only_login

    password_only_login(client, cast.uk)
    step = reverse("accounts:two_factor")
    assert "Set up two-factor sign-in" in client.get(step).content.decode()
    device = TOTPDevice.objects.get(user=cast.uk)
    data = {"code": code_for(device), FIELD: submit_once.new_token()}
    first = client.post(step, data)
    assert first.status_code == 200 and "<code>" in first.content.decode(), problems(first)
    codes = set(StaticToken.objects.values_list("token", flat=True))
    second = client.post(step, data)
    assert second.status_code == 302 and second["Location"] == reverse("accounts:security")
    assert TOTPDevice.objects.filter(user=cast.uk, confirmed=True).count() == 1
    assert set(StaticToken.objects.values_list("token", flat=True)) == codes
    enrolled = AccountEventKind.TWO_FACTOR_ENROLLED
    assert AccountEvent.objects.filter(user=cast.uk, kind=enrolled).count() == 1
    shown = client.get(second["Location"]).content.decode()
    assert "your authenticator app was set up then, and it was not set up a second time" in shown


def test_turning_on_two_factor_without_a_token_sets_nothing_up(cast, client):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.two_factor import code_for, password_only_login

    password_only_login(client, cast.uk)
    step = reverse("accounts:two_factor")
    client.get(step)
    device = TOTPDevice.objects.get(user=cast.uk)
    refused = client.post(step, {"code": code_for(device)})
    assert refused.status_code == 400
    assert "could not be matched to the page it came from" in refused.content.decode()
    device.refresh_from_db()
    assert not device.confirmed


def test_preferences_sent_twice_say_the_second_was_already_saved(cast, login):
    from liaison_offices.models import NotificationPreference

    client = login(cast.uk)
    data = {"in_app": "immediate", "email": "daily_digest", FIELD: submit_once.new_token()}
    first = client.post(reverse("preferences"), data)
    assert first.status_code == 302
    rows = list(NotificationPreference.objects.filter(user=cast.uk).values_list("id", "mode"))
    second = client.post(reverse("preferences"), data, follow=True)
    assert "had already been sent and was saved then" in second.content.decode()
    assert (
        list(NotificationPreference.objects.filter(user=cast.uk).values_list("id", "mode")) == rows
    )
