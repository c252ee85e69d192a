"""The person index's pages: people and identifiers on a case, the one-click request to an
office holding a match, the network view, and the look-up (docs/people.md)."""

from __future__ import annotations

from functools import cached_property

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.views.generic import FormView

from cases.access import case_access
from cases.forms import ConfirmForm
from cases.models import Suspect
from cases.views.access import case_or_404
from cases.views.case_page import CaseFormBase
from glo_act import submit_once
from glo_act.errors import DomainError
from glo_act.pages import PageView, add_domain_error, get_visible_or_404
from liaison_offices.models import LinkOffice
from people import services
from people.constants import IdentifierKind
from people.forms import IdentifierForm, LookupForm, MatchRequestForm, PersonForm
from people.indexing import identifier_index
from people.matching import find_matches, may_see_hidden_matches
from people.models import Identifier, PersonOfInterest
from people.network import network_of
from people.normalise import InvalidIdentifier
from people.presentation import case_people


class PersonAddView(CaseFormBase):
    form_token = submit_once.REQUIRED
    template_name = "cases/part_form.html"
    form_class = PersonForm
    success_message = "Person of interest added."

    def get_form_kwargs(self):
        suspects = Suspect.objects.filter(case=self.case, person_of_interest__isnull=True)
        return {**super().get_form_kwargs(), "suspects": list(suspects.order_by("id"))}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "heading": "Add a person of interest"}

    def perform(self, form):
        return services.person_add(
            acting_user=self.request.user, case=self.case, **form.cleaned_data
        )

    def get_success_url(self):
        person = getattr(self, "result", None)
        anchor = f"#person-{person.pk}" if person is not None else "#people"
        return self.case.get_absolute_url() + anchor


class PersonMixin:
    @cached_property
    def person(self) -> PersonOfInterest:
        return get_visible_or_404(
            PersonOfInterest.objects.visible_to(self.request.user).filter(case=self.case),
            pk=self.kwargs["pk"],
        )


class IdentifierAddView(PersonMixin, CaseFormBase):
    form_token = submit_once.REQUIRED
    template_name = "cases/part_form.html"
    form_class = IdentifierForm
    success_message = "Identifier recorded."

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "heading": f"Add an identifier of {self.person.label}",
            "intro": "The value is kept encrypted; other cases holding the same identifier are "
            "shown on the case page, as far as you may see them.",
            "button": "Record",
        }

    def perform(self, form):
        return services.identifier_add(
            acting_user=self.request.user, person=self.person, **form.cleaned_data
        )

    def get_success_url(self):
        return self.case.get_absolute_url() + f"#person-{self.person.pk}"


class PersonRemoveView(PersonMixin, CaseFormBase):
    form_token = submit_once.WHEN_SENT
    template_name = "cases/confirm.html"
    form_class = ConfirmForm

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "heading": "Remove this person of interest?",
            "subject": str(self.person),
            "consequence": "The person and every identifier recorded for them are taken off "
            f"{self.case.reference}; the timeline keeps a line saying so.",
            "button": "Remove",
            "danger": True,
        }

    def perform(self, form):
        return services.person_remove(acting_user=self.request.user, person=self.person)

    def get_success_message(self, form):
        return f"Removed: {self.person.label}."

    def get_success_url(self):
        return self.case.get_absolute_url() + "#people"


class IdentifierRemoveView(CaseFormBase):
    form_token = submit_once.WHEN_SENT
    template_name = "cases/confirm.html"
    form_class = ConfirmForm

    @cached_property
    def identifier(self) -> Identifier:
        return get_visible_or_404(
            Identifier.objects.visible_to(self.request.user)
            .filter(case=self.case)
            .select_related("person"),
            pk=self.kwargs["pk"],
        )

    def get_context_data(self, **kwargs):
        identifier = self.identifier
        return {
            **super().get_context_data(**kwargs),
            "heading": f"Remove this {identifier.get_kind_display().lower()}?",
            "subject": f"{identifier.get_kind_display()} of {identifier.person.label}",
            "consequence": "It stops matching other cases at once.",
            "button": "Remove",
            "danger": True,
        }

    def perform(self, form):
        return services.identifier_remove(acting_user=self.request.user, identifier=self.identifier)

    def get_success_message(self, form):
        return "Identifier removed."

    def get_success_url(self):
        return self.case.get_absolute_url() + "#people"


class MatchRequestView(CaseFormBase):
    """The one-click cooperation request to the office holding a match the user cannot see."""

    form_token = submit_once.REQUIRED
    template_name = "people/match_request.html"
    form_class = MatchRequestForm
    success_message = "Request sent."

    def get_initial(self):
        return {
            "identifier": self.request.GET.get("identifier"),
            "office": self.request.GET.get("office"),
        }

    def perform(self, form):
        identifier = (
            Identifier.objects.visible_to(self.request.user)
            .filter(case=self.case, pk=form.cleaned_data["identifier"])
            .first()
        )
        office = LinkOffice.objects.filter(pk=form.cleaned_data["office"]).first()
        if identifier is None or office is None:
            raise DomainError("That match is no longer there.", field="office")
        return services.match_request_cooperation(
            acting_user=self.request.user,
            identifier=identifier,
            office=office,
            urgency=form.cleaned_data["urgency"],
        )

    def get_success_message(self, form):
        request = self.result
        return f"Identity-check request sent to {request.to_office.code}."

    def get_success_url(self):
        return self.result.get_absolute_url()


class NetworkView(PageView):
    template_name = "people/network.html"

    def get_context_data(self, **kwargs):
        case = case_or_404(self.request, kwargs["reference"])
        access = case_access(self.request.user, case)
        if not access.sees_full:
            raise Http404("No such case.")  # a summary share has no people to draw
        section = case_people(self.request.user, case, access.level)
        network = network_of(case, section)
        return {
            **super().get_context_data(**kwargs),
            "case": case,
            "access": access,
            "people_section": section,
            "people_can_ask": access.can_change and may_see_hidden_matches(self.request.user),
            "network": network,
            "network_layouts": [(network.wide, "wide"), (network.narrow, "narrow")],
        }


class LookupView(LoginRequiredMixin, FormView):
    """Enter an identifier, see where it is held — under the same rule as the case page. The
    value is posted, never put in the address (it would sit in logs and the history)."""

    form_token = submit_once.REPEATABLE  # a look-up stores nothing; asking again is harmless
    template_name = "people/lookup.html"
    form_class = LookupForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_see_hidden_matches(request.user):
            raise PermissionDenied("The person index is for link offices and HQ.")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        kind, value = form.cleaned_data["kind"], form.cleaned_data["value"]
        try:
            index = identifier_index(kind, value)
        except InvalidIdentifier as exc:
            add_domain_error(form, DomainError(str(exc), field="value"))
            return self.form_invalid(form)
        matches = find_matches(self.request.user, [index])
        return self.render_to_response(
            self.get_context_data(
                form=LookupForm(initial={"kind": kind}),
                matches=matches,
                looked_up=IdentifierKind(kind).label,
            )
        )
