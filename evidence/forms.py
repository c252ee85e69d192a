"""The upload form of the pages (several files at once; one title when one file is chosen)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from evidence.constants import FileKind
from glo_act.pages import PageForm


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Every file chosen in one input (`request.FILES.getlist`); emptiness is the service's
    to refuse, with the same words on every door."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [item for item in data if item]
        return [data] if data else []


class UploadForm(PageForm):
    files = MultipleFileField(
        label=_("Files"),
        help_text=_("PDF, photographs, Word or Excel documents, plain text; up to 10 at once."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=FileKind.choices, initial=FileKind.OTHER)
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("Optional; when several files are chosen each keeps its file name."),
    )


class MessageFilesField(MultipleFileField):
    pass


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (kept in the audit)"), widget=forms.Textarea(attrs={"rows": 3})
    )
