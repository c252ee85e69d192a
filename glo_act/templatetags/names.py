"""`{{ name|country }}`: a stored country name in the page's language (glo_act/names.py).
A builtin (glo_act/settings.py)."""

from django import template

from glo_act import names

register = template.Library()


@register.filter
def country(name) -> str:
    return names.country(str(name)) if name else ""
