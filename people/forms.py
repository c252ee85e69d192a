"""Page forms of the person index; each hands its data to one service (people.services)."""

from __future__ import annotations

from django import forms

from cases.constants import Urgency
from glo_act.pages import PageForm
from people.constants import IdentifierKind, PersonRole


class PersonForm(PageForm):
    role = forms.ChoiceField(choices=PersonRole.choices, initial=PersonRole.SUSPECT)
    suspect = forms.TypedChoiceField(
        label="Suspect of this case",
        coerce=int,
        empty_value=None,
        required=False,
        help_text="For a suspect: the suspect it is. Leave empty for a witness or another person.",
    )
    label = forms.CharField(
        max_length=120,
        required=False,
        help_text="How the case refers to the person, not a name: “Witness 1”, “Driver at "
        "Taftan”. A suspect's label defaults to the suspect's name as recorded.",
    )

    def __init__(self, *args, suspects=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.suspects = {s.pk: s for s in suspects}
        self.fields["suspect"].choices = [("", "—")] + [
            (s.pk, str(s)) for s in self.suspects.values()
        ]

    def clean_suspect(self):
        pk = self.cleaned_data.get("suspect")
        return self.suspects.get(pk) if pk is not None else None


class IdentifierForm(PageForm):
    kind = forms.ChoiceField(choices=IdentifierKind.choices)
    value = forms.CharField(
        max_length=200,
        help_text="As written: a phone number with or without +92, a CNIC with or without "
        "dashes, a name in Urdu or Latin script.",
    )


class LookupForm(IdentifierForm):
    """The look-up: an identifier, and nothing is stored."""


class MatchRequestForm(PageForm):
    identifier = forms.IntegerField(widget=forms.HiddenInput)
    office = forms.IntegerField(widget=forms.HiddenInput)
    urgency = forms.ChoiceField(choices=Urgency.choices, initial=Urgency.NORMAL)
