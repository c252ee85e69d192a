"""The form renderer of every page: Django's, with `<select>` written out in Python.

Django renders each `<option>` by including a template of its own: ~100 includes for the case
list's filters (the lead office select alone holds an option per office), about a third of
the page's CPU (bench/ANALYSIS.md). The HTML is the same, character for character
(tests/test_form_renderer.py compares the two); every other widget is Django's.
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe

SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


def _attrs(attrs: dict) -> str:
    """As django/forms/widgets/attrs.html: `True` a bare name, `False` left out."""
    return mark_safe(  # noqa: S308 (every name and value is escaped)
        "".join(
            f" {conditional_escape(name)}"
            if value is True
            else f' {conditional_escape(name)}="{conditional_escape(str(value))}"'
            for name, value in attrs.items()
            if value is not False
        )
    )


def _select(widget: dict) -> str:
    parts = []
    for group_name, options, _ in widget["optgroups"]:
        if group_name:
            parts.append(format_html('\n  <optgroup label="{}">', group_name))
        parts.append(
            format_html_join(
                "",
                # Django's option template ends in a newline, kept for the same HTML.
                '\n  <option value="{}"{}>{}</option>\n',
                ((str(o["value"]), _attrs(o["attrs"]), o["label"]) for o in options),
            )
        )
        if group_name:
            parts.append(mark_safe("\n  </optgroup>"))
    return format_html(
        '<select name="{}"{}>{}\n</select>',
        widget["name"],
        _attrs(widget["attrs"]),
        mark_safe("".join(parts)),  # noqa: S308 (parts are format_html output)
    )


class PageFormRenderer(DjangoTemplates):
    """FORM_RENDERER: selects whose options use Django's own option template, in Python."""

    def render(self, template_name, context, request=None):
        widget = context.get("widget") if template_name == SELECT_TEMPLATE else None
        if widget is not None and all(
            option["template_name"] == OPTION_TEMPLATE
            for _, options, _ in widget["optgroups"]
            for option in options
        ):
            return _select(widget)
        return super().render(template_name, context, request)
