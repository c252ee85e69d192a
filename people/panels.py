"""The people section this app adds to the case page (glo_act.pages.extend_page)."""

from __future__ import annotations

from glo_act.pages import extend_page
from people.presentation import case_people


def people_section(request, case, context) -> None:
    """The case's people, identifiers and matches, for a reader at FULL level or above."""
    access = context.get("access")
    if access is None or not access.sees_full:
        return
    section = case_people(request.user, case, access.level)
    context["people_section"] = section
    context["page_panels"].append("people/_people.html")


extend_page("case", people_section)
