"""The case file: one case as a printable page and as a PDF, redacted to the reader's level,
with the handling code and its conditions on every page (docs/casework.md#the-case-file).

Both are the same template (`cases/case_file.html`): the browser prints the page, WeasyPrint
renders it to PDF. What it shows is what the case page shows the same user (`case_page_context`):
a summary share prints the summary only; victims appear by code. The page's fixed header and
footer repeat on every printed page, in the browser as in WeasyPrint.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from cases.models import ExportRecord
from cases.views.access import case_or_404
from cases.views.case_page import case_page_context
from glo_act.pages import PageView

__all__ = ["CaseFileView", "case_file_handling", "grade_key", "render_case_file_pdf"]


def case_file_handling(access, case) -> tuple[str, str]:
    """The line every page of the file carries: the handling code that binds the reader and
    its conditions; for the lead office and HQ, whose copy binds them to none, say so."""
    if access.via_share:
        return (
            f"Handling code {access.handling_label}",
            access.handling_conditions,
        )
    return (
        f"Originator's copy ({case.lead_office.code}): pass on only through a share, which "
        "sets its handling code",
        "",
    )


def _context(request, case) -> dict:
    context = case_page_context(request, case)
    access = context["access"]
    handling, conditions = case_file_handling(access, case)
    graded = [*context.get("messages_list", ()), *context.get("requests", ())]
    return {
        **context,
        "grade_key": grade_key(graded),
        "handling": handling,
        "conditions": conditions,
        "printed_by": request.user.get_full_name() or request.user.get_username(),
        "printed_at": timezone.now(),
    }


def grade_key(items) -> list[tuple[str, str]]:
    """The grades the file prints (messages' and answers'), each with its meaning: paper has no
    hover (docs/investigation.md#grading)."""
    seen: dict[str, str] = {}
    for item in items:
        if getattr(item, "grade", ""):
            seen.setdefault(item.grade, item.grade_meaning)
        if getattr(item, "answer_grade", ""):
            seen.setdefault(item.answer_grade, item.answer_grade_meaning)
    return sorted(seen.items())


def render_case_file_pdf(html: str) -> bytes:
    """The PDF of the case file's HTML. WeasyPrint is imported here: it needs Pango (Debian's
    libpango-1.0-0), and the rest of the site runs without it."""
    from weasyprint import HTML

    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


class CaseFileView(PageView):
    """`/cases/<reference>/file/` (printable) and `/cases/<reference>/file.pdf`."""

    template_name = "cases/case_file.html"
    as_pdf = False

    def get(self, request, reference: str):
        case = case_or_404(request, reference)
        context = _context(request, case)
        ExportRecord.objects.create(
            user=request.user,
            what="case_file",
            file_format="pdf" if self.as_pdf else "html",
            filters={"reference": case.reference},
            rows=1,
            finished_at=timezone.now(),
        )
        if not self.as_pdf:
            return self.render_to_response({**context, "printable": True})
        html = render_to_string(self.template_name, {**context, "pdf": True}, request=request)
        try:
            pdf = render_case_file_pdf(html)
        except (ImportError, OSError):
            return HttpResponse(
                "The PDF needs WeasyPrint and the Pango library, which this server lacks; "
                "open the printable page and use the browser's Print instead.",
                status=503,
                content_type="text/plain; charset=utf-8",
            )
        response = HttpResponse(pdf, content_type="application/pdf")
        stamp = f"{context['printed_at']:%Y%m%d-%H%M}"
        response["Content-Disposition"] = f'inline; filename="{case.reference}-{stamp}.pdf"'
        response["Cache-Control"] = "no-store"
        return response
