"""Shared helpers for the browser pages: sign-in, the visibility rule applied once, bounded
lists and domain errors shown as form errors.

Nothing here knows about cases or victims: arrows point down to `glo_act`
(docs/architecture.md#the-apps-and-their-arrows). A page
names its model; the model's `objects.visible_to(user)` decides what the user may see, and the
lookup helpers answer 404 for anything else, never 403 (which would confirm it exists).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import EmptyResultSet
from django.db import connections, models
from django.http import Http404, HttpRequest
from django.shortcuts import redirect
from django.views.generic import FormView, TemplateView

from glo_act import submit_once
from glo_act.errors import ConflictError, DomainError

__all__ = [
    "BoundedPage",
    "DomainFormView",
    "PageForm",
    "PageView",
    "VisibleMixin",
    "add_domain_error",
    "extend_page",
    "page_extensions",
    "bounded_counts",
    "get_visible_or_404",
    "is_htmx",
    "paginate_bounded",
]

# How many rows a list counts before it says "1,000+" (docs/performance.md#counting: the count,
# not the page, dominates; a user with 76,000 visible cases does not need the exact total).
COUNT_LIMIT = 1000
PAGE_SIZE = 25


# Sections that apps higher up contribute to the pages of the apps below them (the evidence
# app's files on a case, a request, a referral, a victim), so that no app imports one above it.
_PAGE_EXTENSIONS: dict[str, list] = {}


def extend_page(page: str, contribute) -> None:
    """Register `contribute(request, obj, context)` for the page named `page` ("case", …).

    It adds what its section needs to `context` and may append a template name to
    `context["page_panels"]`, which the page includes in order.
    """
    if contribute not in _PAGE_EXTENSIONS.setdefault(page, []):
        _PAGE_EXTENSIONS[page].append(contribute)


def page_extensions(page: str, request: HttpRequest, obj, context: dict) -> dict:
    """Let every registered contributor add to the page's `context` (in place; returned)."""
    context.setdefault("page_panels", [])
    for contribute in _PAGE_EXTENSIONS.get(page, ()):
        contribute(request, obj, context)
    return context


def is_htmx(request: HttpRequest) -> bool:
    """Was this request made by htmx (so a fragment, not a whole page, is wanted)?"""
    return request.headers.get("HX-Request") == "true"


class PageView(LoginRequiredMixin, TemplateView):
    """A page for signed-in users; anonymous visitors are sent to the sign-in page."""


class VisibleMixin:
    """Applies `model.objects.visible_to(request.user)` once, for every read of the view."""

    model: type[models.Model]

    def visible(self) -> models.QuerySet:
        return self.model.objects.visible_to(self.request.user)


def get_visible_or_404(queryset: models.QuerySet, **lookup) -> models.Model:
    """The one row matching `lookup` in an already-scoped queryset, else 404."""
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404("Not found.")


@dataclass
class BoundedPage:
    """One page of a list whose total is counted only up to `COUNT_LIMIT` rows."""

    object_list: list
    number: int
    page_size: int
    count: int
    count_is_exact: bool
    has_next: bool

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.page_size + 1 if self.object_list else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.page_size + len(self.object_list)

    @property
    def count_display(self) -> str:
        """`37`, or `1,000+` when there are more rows than were counted."""
        return f"{self.count:,}" if self.count_is_exact else f"{self.count:,}+"

    @property
    def num_pages_display(self) -> str:
        pages = max(1, -(-self.count // self.page_size))
        return f"{pages:,}" if self.count_is_exact else f"{pages:,}+"


def paginate_bounded(
    request: HttpRequest,
    queryset: models.QuerySet,
    *,
    page_size: int | None = None,
    count_limit: int | None = None,
    rows_for_page=None,
    count_rows=None,
) -> BoundedPage:
    """A page's list, bounded (`bounded_page`); `?page=` past the end is a 404."""
    try:
        number = max(int(request.GET.get("page", 1)), 1)
    except (TypeError, ValueError):
        number = 1
    try:
        return bounded_page(
            queryset,
            number=number,
            page_size=page_size or PAGE_SIZE,
            count_limit=count_limit or COUNT_LIMIT,
            rows_for_page=rows_for_page,
            count_rows=count_rows,
        )
    except PastTheLastPage:
        raise Http404("That page is past the last one.")


class PastTheLastPage(Exception):
    """A page number beyond the last page of a list that was counted exactly."""


def bounded_page(
    queryset: models.QuerySet,
    *,
    number: int,
    page_size: int,
    count_limit: int,
    rows_for_page=None,
    count_rows=None,
) -> BoundedPage:
    """Page `number` of `queryset`, in two queries: a count stopped at `count_limit + 1` rows,
    and the page (one row more than shown, to know whether a next page exists). The pages and
    the API (`glo_act.drf_defaults.BoundedCountPagination`) both paginate here.

    `rows_for_page(queryset, offset, limit)`, if given, reads the page instead of a slice (to
    add what the rows show but the count does not need, or find the rows by another path);
    `count_rows(queryset, limit)` counts instead of counting the ids.
    """
    # Only the ids are counted: no annotation or join of the page is computed for the count.
    if count_rows is not None:
        counted = count_rows(queryset, count_limit + 1)
    else:
        counted = queryset.order_by().values("pk")[: count_limit + 1].count()
    count_is_exact = counted <= count_limit
    offset = (number - 1) * page_size
    if number > 1 and count_is_exact and offset >= counted:
        raise PastTheLastPage(number)
    if rows_for_page is not None:
        rows = list(rows_for_page(queryset, offset, page_size + 1))
    else:
        rows = list(queryset[offset : offset + page_size + 1])
    return BoundedPage(
        object_list=rows[:page_size],
        number=number,
        page_size=page_size,
        count=min(counted, count_limit),
        count_is_exact=count_is_exact,
        has_next=len(rows) > page_size,
    )


class PageForm(forms.Form):
    """A form as the pages draw it: labels without a trailing colon."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def bounded_counts(
    querysets: dict[str, models.QuerySet], *, limit: int | None = None
) -> dict[str, int]:
    """Several counts in one query, each stopped at `limit + 1` rows (docs/performance.md#counting).

    A value above `limit` means "more than `limit`": show it as "1,000+". The querysets must
    share one database.
    """
    limit = limit or COUNT_LIMIT
    parts, params, names, db = [], [], [], None
    counts = dict.fromkeys(querysets, 0)
    for name, queryset in querysets.items():
        try:
            sql, args = queryset.order_by().values("pk")[: limit + 1].query.sql_with_params()
        except EmptyResultSet:  # `.none()`, or an empty `__in`: nothing to count
            continue
        # `sql` is Django-compiled with placeholders; the values travel in `params`.
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS bounded_{len(parts)})")  # noqa: S608
        params.extend(args)
        names.append(name)
        db = queryset.db
    if parts:
        with connections[db].cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(parts), params)
            counts.update(zip(names, cursor.fetchone(), strict=True))
    return counts


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal on the form: on its field when it names one, else on top."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


class DomainFormView(LoginRequiredMixin, submit_once.SpentTokenMixin, FormView):
    """A form whose valid data is handed to one service call.

    `perform(form)` calls the service; a `DomainError` it raises is shown on the form (inline,
    with the user's input kept) and nothing is saved; on success the `success_message` is
    flashed and the user is redirected to `get_success_url()`.

    The call goes through `glo_act.submit_once.run`: a subclass says in its own `form_token`
    whether it creates something (`REQUIRED`) or changes what exists (`WHEN_SENT`); a second
    post of the same rendering of the form is sent to the first one's result.
    """

    success_message = ""
    form_token: str  # submit_once.REQUIRED or submit_once.WHEN_SENT, on each view

    def perform(self, form) -> Any:
        raise NotImplementedError

    def form_valid(self, form):
        def url_of(result):
            self.result = result
            return self.get_success_url()

        try:
            outcome = submit_once.run(
                self.request,
                lambda: self.perform(form),
                result_url=url_of,
                required=self.form_token == submit_once.REQUIRED,
            )
        except ConflictError as exc:
            return self.conflict(form, exc)
        except DomainError as exc:
            add_domain_error(form, exc)
            return self.form_invalid(form)
        if outcome.repeated:
            messages.info(self.request, submit_once.ALREADY_SAVED)
            return redirect(outcome.url)
        message = self.get_success_message(form)
        if message:
            messages.success(self.request, message)
        return redirect(outcome.url)

    def conflict(self, form, exc: ConflictError):
        """A stale edit: keep the input, say who changed what (override to show more)."""
        add_domain_error(form, exc)
        return self.form_invalid(form)

    def get_success_message(self, form) -> str:
        return self.success_message
