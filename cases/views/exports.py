"""The list pages' exports: the case list and the cooperation request list, as CSV or XLSX,
with the filters in the query string (`cases.exports`)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views import View

from cases import exports
from cases import forms as case_forms
from cases.models import Case, CooperationRequest
from cases.views.lists import filter_cases, filter_requests
from liaison_offices.models import LinkOffice

__all__ = ["CaseExportView", "RequestExportView"]

FORMATS = ("csv", "xlsx")


def _filters(form) -> dict:
    """The filters used, as recorded with the export (values as given)."""
    return {name: value for name, value in form.data.items() if name in form.fields and value}


class CaseExportView(LoginRequiredMixin, View):
    """`/cases/export.csv?…`: the case list, as the page filters it, every page of it."""

    def get(self, request, file_format: str):
        if file_format not in FORMATS:
            raise Http404("No such format.")
        offices = list(LinkOffice.objects.order_by("code").values_list("pk", "code", "name"))
        form = case_forms.CaseFilterForm(request.GET or None, offices=offices)
        if request.GET and not form.is_valid():
            # An export that silently dropped a filter would hand out rows nobody asked for.
            messages.error(
                request, gettext("Some filters were not understood; nothing was exported.")
            )
            return redirect(f"{reverse('cases:list')}?{request.GET.urlencode()}")
        data = getattr(form, "cleaned_data", {})
        cases = filter_cases(request.user, Case.objects.visible_to(request.user), data, form)
        return exports.export_response(
            user=request.user,
            what="cases",
            file_format=file_format,
            filters=_filters(form),
            header=exports.CASE_COLUMNS,
            rows=lambda: exports.case_rows(request.user, cases),
        )


class RequestExportView(LoginRequiredMixin, View):
    """`/cases/requests/export.csv?…`: the cooperation request list, as the page filters it."""

    def get(self, request, file_format: str):
        if file_format not in FORMATS:
            raise Http404("No such format.")
        form = case_forms.RequestFilterForm(request.GET or None)
        if request.GET and not form.is_valid():
            messages.error(
                request, gettext("Some filters were not understood; nothing was exported.")
            )
            return redirect(f"{reverse('cases:requests')}?{request.GET.urlencode()}")
        data = getattr(form, "cleaned_data", {})
        requests = filter_requests(
            CooperationRequest.objects.visible_to(request.user), request.user, data, timezone.now()
        ).order_by("due_at", "id")
        return exports.export_response(
            user=request.user,
            what="requests",
            file_format=file_format,
            filters=_filters(form),
            header=exports.REQUEST_COLUMNS,
            rows=lambda: exports.request_rows(request.user, requests),
        )
