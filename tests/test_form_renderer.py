"""The pages' form renderer writes <select> in Python: the same HTML as Django's templates."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from glo_act.form_renderer import PageFormRenderer


class Sample(forms.Form):
    plain = forms.ChoiceField(choices=[("", "Any"), ("a", "A & B"), ("b", '"Quoted"')])
    required = forms.ChoiceField(choices=[("1", "One"), ("2", "Two")], help_text="Pick one")
    grouped = forms.ChoiceField(
        required=False,
        choices=[("", "None"), ("Europe", [("GRC", "Greece"), ("ITA", "Italy")]), ("x", "<b>")],
    )
    many = forms.MultipleChoiceField(required=False, choices=[(i, f"N{i}") for i in range(5)])
    disabled = forms.ChoiceField(choices=[("z", "Z")], disabled=True, required=False)
    attrs = forms.ChoiceField(
        required=False,
        choices=[("", "-")],
        widget=forms.Select(attrs={"class": "wide", "data-x": "1 < 2", "autofocus": True}),
    )


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"plain": "a", "required": "2", "grouped": "ITA", "many": ["1", "3"], "attrs": ""},
        {"plain": "nope", "grouped": "x"},
    ],
)
def test_selects_render_as_django_renders_them(data):
    ours = Sample(data=data or None, renderer=PageFormRenderer())
    django = Sample(data=data or None, renderer=DjangoTemplates())
    for name in Sample.base_fields:
        assert str(ours[name]) == str(django[name]), name
    assert ours.as_div() == django.as_div()


def test_the_pages_use_it(settings):
    assert settings.FORM_RENDERER == "glo_act.form_renderer.PageFormRenderer"


def test_a_select_is_written_without_djangos_templates(monkeypatch):
    from glo_act.form_renderer import SELECT_TEMPLATE

    rendered = []
    original = DjangoTemplates.render

    def noting(self, template_name, context, request=None):
        rendered.append(template_name)
        return original(self, template_name, context, request)

    monkeypatch.setattr(DjangoTemplates, "render", noting)
    html = str(Sample(renderer=PageFormRenderer())["plain"])
    assert html.startswith('<select name="plain"')
    assert SELECT_TEMPLATE not in rendered
