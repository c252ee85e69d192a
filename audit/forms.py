"""The audit view's filters."""

from __future__ import annotations

from django import forms

from glo_act.pages import PageForm
from liaison_offices.models import LinkOffice


class AuditFilterForm(PageForm):
    user = forms.CharField(label="User (username)", required=False, max_length=150)
    office = forms.ModelChoiceField(
        label="Their office",
        queryset=LinkOffice.objects.order_by("code"),
        required=False,
        empty_label="Any office",
        to_field_name="code",
    )
    code = forms.CharField(label="Victim code or case reference", required=False, max_length=40)
    door = forms.ChoiceField(
        label="Door (reads and downloads)",
        required=False,
        choices=[
            ("", "Any door"),
            ("page", "Page"),
            ("api", "API"),
            ("admin", "Admin"),
            ("export", "Export"),
        ],
    )
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return data
