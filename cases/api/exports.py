"""The API's export of the case list: the same filters as `GET /api/v1/cases/`, every row, as
CSV or XLSX (`cases.exports`)."""

from __future__ import annotations

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.views import APIView

from cases import exports
from cases.api.filters import CaseFilter
from cases.models import Case
from glo_act.api import LIST_ERRORS, problem_responses
from glo_act.errors import DomainError

__all__ = ["CaseExportView"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CaseExportFilter(CaseFilter):
    file_format = django_filters.ChoiceFilter(
        choices=[("csv", "csv"), ("xlsx", "xlsx")],
        method="filter_nothing",
        help_text="`csv` (UTF-8, comma-separated) or `xlsx`.",
    )

    class Meta(CaseFilter.Meta):
        fields = [*CaseFilter.Meta.fields, "file_format"]

    def filter_nothing(self, queryset, name, value):
        return queryset


def _query_parameters(filterset_class) -> list[OpenApiParameter]:
    """The filters of `filterset_class` as documented query parameters."""
    parameters = []
    for name, field in filterset_class.base_filters.items():
        choices = field.extra.get("choices")
        parameters.append(
            OpenApiParameter(
                name,
                OpenApiTypes.DATETIME if name == "updated_since" else str,
                OpenApiParameter.QUERY,
                required=name == "file_format",
                enum=[value for value, _ in choices] if choices else None,
                description=str(field.extra.get("help_text") or ""),
            )
        )
    return parameters


class _FileRenderer(BaseRenderer):
    """Lets a client ask for the file's type in `Accept`; a problem is still JSON."""

    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data, accepted_media_type, renderer_context)


class CsvRenderer(_FileRenderer):
    media_type = "text/csv"
    format = "csv"


class XlsxRenderer(_FileRenderer):
    media_type = XLSX
    format = "xlsx"


class CaseExportView(APIView):
    """`GET cases/export/?file_format=csv`: the caller's cases, filtered, as a file."""

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CsvRenderer, XlsxRenderer]

    def perform_content_negotiation(self, request, force=False):
        # The file is the answer whatever the Accept header says; errors come as JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        summary="Export the cases you may see, as CSV or XLSX",
        description="Every case `GET /api/v1/cases/` would list with the same filters, in one "
        "file (not paged), newest change first. Each row carries your access level and the "
        "handling code and conditions that bind you; no personal data (no victims, suspects, "
        "summaries or messages). The file's first line says who exported it, when, and what "
        "the handling codes mean. Each export is recorded (who, which filters, how many "
        "rows).",
        filters=False,
        parameters=_query_parameters(CaseExportFilter),
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The CSV file."),
            (200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="The XLSX file."),
            **problem_responses(*LIST_ERRORS),
        },
    )
    def get(self, request):
        filterset = CaseExportFilter(
            request.query_params, queryset=Case.objects.visible_to(request.user), request=request
        )
        if not filterset.is_valid():
            from rest_framework.exceptions import ValidationError

            raise ValidationError(filterset.errors)
        file_format = filterset.form.cleaned_data.get("file_format")
        if not file_format:
            raise DomainError(
                "Say which file you want: `file_format=csv` or `xlsx`.", field="file_format"
            )
        cases = filterset.qs
        return exports.export_response(
            user=request.user,
            what="cases",
            file_format=file_format,
            filters={k: v for k, v in request.query_params.items() if k in filterset.filters},
            header=exports.CASE_COLUMNS,
            rows=lambda: exports.case_rows(request.user, cases),
        )
