"""HQ's audit view, `/hq/audit/`: who read which victim's personal data (and why), who opened
which case, who downloaded which file through which door, who exported what; filtered by
user, their office, victim code or case reference, door and dates; a page at a time, or all
of it as CSV.

Reads of personal data are `victims.PersonalDataAccess` rows and downloads
`evidence.FileDownload` rows, looked up by name (this app sits below both:
docs/architecture.md#the-apps-and-their-arrows); openings and exports are this app's
`AuditEntry`. Downloading the CSV is itself an export, and recorded.
"""

from __future__ import annotations

import csv
import datetime as dt

from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from audit import services
from audit.forms import AuditFilterForm
from audit.models import AuditEntry, AuditKind
from glo_act.pages import paginate_bounded
from liaison_offices import access
from liaison_offices.models import Membership

TABS = {
    "reads": gettext_lazy("Personal data read"),
    "cases": gettext_lazy("Cases opened"),
    "files": gettext_lazy("Files downloaded"),
    "exports": gettext_lazy("Exports"),
}

# A download's file and the record it hangs on, joined in the page's one query.
DOWNLOAD_JOINS = (
    "user",
    "attachment__case",
    "attachment__message__case",
    "attachment__request__case",
    "attachment__answer__case",
    "attachment__victim",
    "attachment__referral__victim",
    "attachment__update__referral__victim",
)
# Where a download's case reference or victim code is, by the file's record.
DOWNLOAD_CODES = (
    "attachment__case__reference",
    "attachment__message__case__reference",
    "attachment__request__case__reference",
    "attachment__answer__case__reference",
    "attachment__victim__code",
    "attachment__referral__victim__code",
    "attachment__update__referral__victim__code",
)
CSV_LIMIT = 100_000


class _Echo:
    def write(self, value):
        return value


def _day_bounds(day: dt.date, end: bool) -> dt.datetime:
    moment = dt.datetime.combine(day + dt.timedelta(days=1) if end else day, dt.time.min)
    return timezone.make_aware(moment, dt.UTC)


def _filtered(tab: str, data: dict):
    if tab == "reads":
        Access = apps.get_model("victims", "PersonalDataAccess")
        rows = Access.objects.select_related("user", "victim")
        code_field = "victim__code"
    elif tab == "files":
        Download = apps.get_model("evidence", "FileDownload")
        rows = Download.objects.select_related(*DOWNLOAD_JOINS)
        code_field = None
    else:
        kinds = (
            [AuditKind.CASE_OPENED]
            if tab == "cases"
            else [AuditKind.EXPORT, AuditKind.FILE_DOWNLOADED]
        )
        rows = AuditEntry.objects.filter(kind__in=kinds).select_related("user")
        code_field = "subject"
    if data.get("user"):
        rows = rows.filter(user__username=data["user"].strip())
    if data.get("office"):
        members = Membership.objects.filter(office=data["office"]).values("user_id")
        rows = rows.filter(user_id__in=members)
    if data.get("code"):
        code = data["code"].strip()
        if code_field is None:
            match = Q()
            for field in DOWNLOAD_CODES:
                match |= Q(**{f"{field}__iexact": code})
            rows = rows.filter(match)
        else:
            rows = rows.filter(**{f"{code_field}__iexact": code})
    if data.get("door") and tab in ("reads", "files"):
        rows = rows.filter(door=data["door"])
    if data.get("date_from"):
        rows = rows.filter(at__gte=_day_bounds(data["date_from"], end=False))
    if data.get("date_to"):
        rows = rows.filter(at__lt=_day_bounds(data["date_to"], end=True))
    return rows.order_by("-at", "-id")


def _offices_by_user(user_ids) -> dict[int, str]:
    """The office codes each reader is (or was) a member of: one query for a page."""
    offices: dict[int, set[str]] = {}
    for user_id, code in Membership.objects.filter(
        user_id__in=set(user_ids), office__isnull=False
    ).values_list("user_id", "office__code"):
        offices.setdefault(user_id, set()).add(code)
    return {user_id: ", ".join(sorted(codes)) for user_id, codes in offices.items()}


def _csv(tab: str, rows, request) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    rows = list(rows[:CSV_LIMIT])
    offices = _offices_by_user(r.user_id for r in rows)

    def lines():
        if tab == "reads":
            yield writer.writerow(
                ["at_utc", "user", "office", "victim", "door", "fields", "purpose", "reason"]
            )
            for r in rows:
                yield writer.writerow(
                    [
                        r.at.isoformat(),
                        r.user.username,
                        offices.get(r.user_id, ""),
                        r.victim.code,
                        r.door,
                        " ".join(r.fields),
                        r.get_purpose_display() if r.purpose else "",
                        _safe(r.reason),
                    ]
                )
        elif tab == "files":
            yield writer.writerow(
                ["at_utc", "user", "office", "file", "kind", "sha256", "record", "code", "door"]
            )
            for r in rows:
                attachment = r.attachment
                record, code, _ = download_record(attachment)
                yield writer.writerow(
                    [
                        r.at.isoformat(),
                        r.user.username,
                        offices.get(r.user_id, ""),
                        str(attachment.public_id),
                        attachment.get_kind_display(),
                        attachment.sha256,
                        record,
                        code,
                        r.door,
                    ]
                )
        else:
            yield writer.writerow(["at_utc", "user", "office", "what", "subject", "detail"])
            for r in rows:
                yield writer.writerow(
                    [
                        r.at.isoformat(),
                        r.user.username,
                        offices.get(r.user_id, ""),
                        r.get_kind_display(),
                        _safe(r.subject),
                        _safe(r.detail),
                    ]
                )

    with translation.override(settings.LANGUAGE_CODE):  # the audit line in the site's language
        what = f"audit: {TABS[tab]}"
    services.exported(request.user, what, request.GET.urlencode())
    stamp = timezone.localdate().isoformat()
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="glo-act_audit_{tab}_{stamp}.csv"'
    return response


def download_record(attachment) -> tuple[str, str, bool]:
    """What a downloaded file hangs on, its case reference or victim code, and whether that is
    a case; never a title or a file name (a victim's document's are personal data)."""
    for field, label in (
        ("case", "case"),
        ("message", "message on a case"),
        ("request", "cooperation request"),
        ("answer", "answer to a request"),
    ):
        if getattr(attachment, f"{field}_id"):
            record = getattr(attachment, field)
            return label, (record if field == "case" else record.case).reference, True
    if attachment.victim_id:
        return "victim's document", attachment.victim.code, False
    if attachment.referral_id:
        return "referral", attachment.referral.victim.code, False
    return "referral update", attachment.update.referral.victim.code, False


def _safe(value: str) -> str:
    """A spreadsheet must not run what someone typed as a reason (=, +, -, @ first)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


@never_cache
@require_safe
def audit_view(request):
    if not request.user.is_authenticated or not access.is_hq(request.user):
        raise PermissionDenied("The audit view is for HQ.")
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else "reads"
    form = AuditFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    rows = _filtered(tab, data)
    if request.GET.get("csv") and (not form.is_bound or form.is_valid()):
        return _csv(tab, rows, request)
    page = paginate_bounded(request, rows)
    offices = _offices_by_user(r.user_id for r in page)
    for row in page:
        row.reader_offices = offices.get(row.user_id, "")
        if tab == "files":
            row.record_label, row.record_code, row.is_case = download_record(row.attachment)
    return render(
        request,
        "audit/audit.html",
        {"tabs": TABS, "tab": tab, "form": form, "page": page},
        status=400 if form.errors else 200,
    )
