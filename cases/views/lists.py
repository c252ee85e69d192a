"""The case list (search, filters, sort, bounded pagination) and the cooperation request list."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case as SqlCase
from django.db.models import F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.utils import dateformat, timezone
from django.utils.translation import gettext

from cases import forms as case_forms
from cases.access import case_access
from cases.constants import (
    OPEN_STATUSES,
    CaseStatus,
    RequestStatus,
)
from cases.models import (
    Case,
    CaseFlag,
    CooperationRequest,
)
from cases.querysets import NEWEST_FIRST, count_visible_cases, newest_first_page
from glo_act.pages import (
    PageView,
    VisibleMixin,
    is_htmx,
    paginate_bounded,
)
from liaison_offices.access import scope_of
from liaison_offices.constants import Role
from liaison_offices.models import LinkOffice, Membership

__all__ = ["CaseListView", "DUE_SOON", "RequestListView", "filter_cases", "filter_requests"]

# "Due" on the dashboard and in the request filters: open and due within this window.
DUE_SOON = dt.timedelta(days=3)
STATUS_ORDER = SqlCase(
    *(When(status=value, then=Value(i)) for i, value in enumerate(CaseStatus.values)),
    output_field=IntegerField(),
)

SORTS = {
    "updated": NEWEST_FIRST,
    "reference": ("reference",),
    "status": ("status_order", "-updated_at", "-id"),
}


def valid_filters(form) -> dict:
    """The filters that were understood: a value that is not (a stale link, a typo) drops that
    filter only, and the page says so.
    """
    form.is_valid()
    return getattr(form, "cleaned_data", {})


LIST_COLUMNS = (
    "reference", "title", "kind", "status", "lead_office_id", "updated_at", "assigned_to_id"
)  # fmt: skip
ASSIGNEE_COLUMNS = ("assigned_to__username", "assigned_to__first_name", "assigned_to__last_name")


def list_row(case: Case, user) -> dict:
    """What one row of the case list shows, as a dict of strings. The template engine finds a
    dict's key at its first try, where each attribute of a model instance costs it a failed
    item look-up first: reading 25 cases' attributes in the template was a third of the page's
    CPU (bench/ANALYSIS.md). Dates as the `date` filter writes them, in the current time zone.
    Access (level, handling code, whose desk) is the one answer of `cases.access`.
    """
    access = case_access(user, case)
    updated = timezone.localtime(case.updated_at)
    if access.is_hq:
        footing = gettext("HQ")
    elif access.is_lead and not access.own_office:
        footing = gettext("%(office)s desk (granted)") % {"office": case.lead_office.code}
    else:
        footing = gettext("Your office")
    # Who works it is the lead office's business: a share recipient is not shown the name.
    assignee = case.assigned_to if access.is_owner and case.assigned_to_id else None
    return {
        "url": case.get_absolute_url(),
        "assigned": (assignee.get_full_name() or assignee.get_username()) if assignee else "",
        "is_mine": case.assigned_to_id == user.pk,
        "flag": case.first_flag if access.is_owner else "",
        "flag_day": dateformat.format(case.first_flag_on, "j M")
        if access.is_owner and case.first_flag_on
        else "",
        "show_assignment": access.is_owner,
        "reference": case.reference,
        "title": case.title,
        "kind": case.kind,
        "kind_label": case.get_kind_display(),
        "status": case.status,
        "status_label": case.get_status_display(),
        "lead_office_code": case.lead_office.code,
        "lead_office_name": case.lead_office.name,
        "via_share": access.via_share,
        "footing": footing,
        "share_label": access.level_label if access.via_share else "",
        "handling_code": access.handling_code if access.via_share else "",
        "handling_label": access.handling_label if access.via_share else "",
        "updated_iso": dateformat.format(updated, "c"),
        "updated_day": dateformat.format(updated, "j M Y"),
    }


def is_office_lead(user) -> bool:
    """Does the user lead an office (and so may reassign its cases, `/cases/reassign/`)? Only
    asked of officers who work some office: no query for anyone else."""
    if not scope_of(user).change_office_ids:
        return False
    return Membership.objects.filter(
        user=user, role=Role.OFFICE_LEAD, ended_at__isnull=True, office__isnull=False
    ).exists()


class CaseListView(VisibleMixin, PageView):
    """Search, filter, sort and page through the cases the user may see."""

    model = Case
    template_name = "cases/case_list.html"

    def get_template_names(self):
        if is_htmx(self.request) and self.request.headers.get("HX-Target") == "case-results":
            return ["cases/_case_results.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        user = self.request.user
        offices = list(LinkOffice.objects.order_by("code").values_list("pk", "code", "name"))
        form = case_forms.CaseFilterForm(self.request.GET or None, offices=offices)
        data = valid_filters(form)
        cases = self.filter(self.visible(), data, form)
        sort = data.get("sort") or "updated"
        filtered = any(value for name, value in data.items() if name != "sort")
        # Only what a row shows (`list_row`): whole cases and offices cost ~1 ms more a page
        # to fetch and build, for columns no row reads (a summary can be pages long).
        rows = (
            cases.with_access(user)
            .select_related("lead_office", "assigned_to")
            .only(*LIST_COLUMNS, *ASSIGNEE_COLUMNS, "lead_office__code", "lead_office__name")
        )
        # The case's first live flag (soonest date first), two correlated probes of the
        # `flag_case` index per row of the page; shown to the lead office and HQ only.
        first_flag = CaseFlag.objects.filter(case=OuterRef("pk"), cleared_at__isnull=True).order_by(
            F("due_on").asc(nulls_last=True), "id"
        )
        rows = rows.annotate(
            first_flag=Subquery(first_flag.values("reason")[:1]),
            first_flag_on=Subquery(first_flag.values("due_on")[:1]),
        )
        if sort == "status":
            rows = rows.annotate(status_order=STATUS_ORDER)
        page = paginate_bounded(
            self.request,
            rows.order_by(*SORTS[sort]),
            rows_for_page=lambda cases, offset, limit: newest_first_page(
                cases, user, offset, limit, filtered=filtered
            ),
            count_rows=None if filtered else lambda cases, limit: count_visible_cases(user, limit),
        )
        scope = scope_of(user)
        return {
            **super().get_context_data(**kwargs),
            "form": form,
            "page": page,
            "rows": [list_row(case, user) for case in page],
            "sort": sort,
            "is_hq": scope.is_hq,
            "user_can_open": scope.is_hq or bool(scope.change_office_ids),
            "can_reassign": scope.is_hq or is_office_lead(user),
            "more_filters": sum(
                1 for name in ("exploitation", "office", "handling", "shared") if data.get(name)
            ),
        }

    def filter(self, cases, data: dict, form):
        return filter_cases(self.request.user, cases, data, form)


def filter_cases(user, cases, data: dict, form):
    """The case list's filters (`CaseFilterForm`'s cleaned data) on `cases`: the page and its
    exports narrow alike."""
    if data.get("q"):
        cases = cases.search(data["q"], user=user)
    if data.get("kind"):
        cases = cases.filter(kind=data["kind"])
    status = data.get("status")
    if status == "open":
        cases = cases.filter(status__in=sorted(OPEN_STATUSES))
    elif status:
        cases = cases.filter(status=status)
    if data.get("exploitation"):
        cases = cases.with_exploitation(data["exploitation"])
    if data.get("office"):
        cases = cases.filter(lead_office_id=form.office_ids[data["office"]])
    if data.get("assigned"):
        cases = cases.assigned(user, data["assigned"])
    if data.get("shared") or data.get("handling"):
        cases = cases.shared_with(user, data.get("handling") or None)
    return cases


def filter_requests(queryset, user, data: dict, now):
    scope = scope_of(user)
    box = data.get("box")
    desks = sorted(scope.view_office_ids)
    if box == "in" and not scope.is_hq:
        queryset = queryset.filter(
            Q(to_office_id__in=desks) | Q(to_partner_id__in=sorted(scope.partner_ids))
        )
    elif box == "out" and not scope.is_hq:
        queryset = queryset.filter(from_office_id__in=desks)
    status = data.get("status")
    if status == "overdue":
        queryset = queryset.overdue(now)
    elif status == "due":
        queryset = queryset.filter(
            status=RequestStatus.OPEN, due_at__gte=now, due_at__lt=now + DUE_SOON
        )
    elif status:
        queryset = queryset.filter(status=status)
    if data.get("q"):
        queryset = queryset.filter(case__reference__icontains=data["q"].strip())
    return queryset


class RequestListView(VisibleMixin, PageView):
    """Cooperation requests to and from the user's desks, soonest due first."""

    model = CooperationRequest
    template_name = "cases/request_list.html"

    def get_context_data(self, **kwargs):
        form = case_forms.RequestFilterForm(self.request.GET or None)
        data = valid_filters(form)
        now = timezone.now()
        requests = filter_requests(self.visible(), self.request.user, data, now)
        requests = requests.select_related("case", "from_office", "to_office", "to_partner")
        # Open first (soonest due first), then answered and closed (latest first).
        requests = requests.annotate(
            open_first=SqlCase(
                When(status=RequestStatus.OPEN, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        ).order_by("open_first", "due_at", "id")
        page = paginate_bounded(self.request, requests)
        return {
            **super().get_context_data(**kwargs),
            "form": form,
            "page": page,
            "now": now,
            "is_hq": scope_of(self.request.user).is_hq,
        }
