"""`{% form_token %}`: the one-time token a page form carries (glo_act/submit_once.py).

It is a builtin (glo_act/settings.py), so templates use it without `{% load %}`, next to
`{% csrf_token %}`.
"""

from django import template
from django.utils.html import format_html

from glo_act import submit_once

register = template.Library()


@register.simple_tag
def form_token() -> str:
    """A hidden field with a fresh token: every rendering of a form is a new submission."""
    return format_html(
        '<input type="hidden" name="{}" value="{}">', submit_once.FIELD, submit_once.new_token()
    )
