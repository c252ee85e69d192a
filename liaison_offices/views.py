"""Pages of the liaison_offices app: the home dashboard, the notifications inbox, preferences."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.views.decorators.http import require_POST, require_safe

from glo_act import submit_once
from glo_act.errors import DomainError
from glo_act.pages import PageForm, get_visible_or_404, is_htmx, paginate_bounded
from liaison_offices import access, dashboard, notifications
from liaison_offices.constants import DEFAULT_NOTIFICATION_MODES, Channel, NotificationMode
from liaison_offices.context_processors import unread_for
from liaison_offices.models import Membership, Notification, NotificationPreference
from liaison_offices.sentences import attach_sentences


@login_required
@require_safe
def home(request):
    """Who you are and for whom you act; then each app's counts, each linked to its list."""
    memberships = (
        Membership.objects.filter(user=request.user, ended_at__isnull=True)
        .select_related("office", "partner")
        .order_by("office__code", "partner__name")
    )
    scope = access.scope_of(request.user)
    member_of = {m.office_id for m in memberships if m.office_id}
    # Desks beyond the user's own offices: granted by HQ (joint investigation, leave cover).
    granted = (
        list(access.offices_of(request.user).exclude(pk__in=member_of).order_by("code"))
        if not scope.is_hq and scope.view_office_ids - member_of
        else []
    )
    return render(
        request,
        "liaison_offices/home.html",
        {
            "memberships": memberships,
            "granted_desks": granted,
            "is_hq": scope.is_hq,
            "panels": dashboard.collect(request),
        },
    )


# --- the inbox ----------------------------------------------------------------------------------


@login_required
@require_safe
def inbox(request):
    """The user's notifications, unread first, newest first within each."""
    show = request.GET.get("show", "")
    rows = Notification.objects.visible_to(request.user)
    if show == "unread":
        rows = rows.unread()
    rows = rows.annotate(
        read_order=Case(
            When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    )
    page = paginate_bounded(
        request, rows.select_related("event").order_by("read_order", "-created_at", "-id")
    )
    attach_sentences(page.object_list)
    return render(
        request,
        "liaison_offices/inbox.html",
        {"page": page, "show": show, "unread": unread_for(request)},
    )


def _safe_next(request, url: str, fallback: str) -> str:
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return fallback


@login_required
@require_safe
def notification_open(request, pk: int):
    """Follow a notification to its subject, marking it read on the way (idempotent)."""
    notification = get_visible_or_404(Notification.objects.visible_to(request.user), pk=pk)
    notifications.notification_mark_read(acting_user=request.user, notification=notification)
    return HttpResponseRedirect(_safe_next(request, notification.url, reverse("inbox")))


@login_required
@require_POST
@submit_once.guard(submit_once.WHEN_SENT)  # marking read again changes nothing
def notification_read(request, pk: int):
    notification = get_visible_or_404(Notification.objects.visible_to(request.user), pk=pk)
    back = _safe_next(request, request.POST.get("next", ""), reverse("inbox"))
    outcome = submit_once.run(
        request,
        lambda: notifications.notification_mark_read(
            acting_user=request.user, notification=notification
        ),
        result_url=lambda marked: back,
        required=False,
    )
    if is_htmx(request):
        attach_sentences([notification])
        return render(request, "liaison_offices/_notification.html", {"n": notification})
    if outcome.repeated:
        messages.info(request, submit_once.ALREADY_SAVED)
    else:
        messages.success(request, gettext("Marked as read."))
    return redirect(outcome.url)


@login_required
@require_POST
@submit_once.guard(submit_once.WHEN_SENT)
def notifications_read_all(request):
    outcome = submit_once.run(
        request,
        lambda: notifications.notifications_mark_all_read(acting_user=request.user),
        result_url=lambda count: reverse("inbox"),
        required=False,
    )
    if outcome.repeated:
        messages.info(request, submit_once.ALREADY_SAVED)
        return redirect("inbox")
    count = outcome.result
    if count:
        messages.success(
            request,
            ngettext(
                "%(count)s notification marked read.", "%(count)s notifications marked read.", count
            )
            % {"count": count},
        )
    else:
        messages.info(request, gettext("There was nothing unread."))
    return redirect("inbox")


# --- preferences --------------------------------------------------------------------------------

CHANNEL_HELP = {
    Channel.IN_APP: gettext_lazy("The inbox on this site."),
    Channel.EMAIL: gettext_lazy("Email to the address HQ has for you."),
}


class PreferencesForm(PageForm):
    """One choice per channel; the inbox has no digest (it is already a list)."""

    def __init__(self, *args, current: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        for channel in (Channel.IN_APP, Channel.EMAIL):
            modes = [
                (mode.value, mode.label)
                for mode in NotificationMode
                if not (channel == Channel.IN_APP and mode == NotificationMode.DAILY_DIGEST)
            ]
            self.fields[channel.value] = forms.ChoiceField(
                label=channel.label,
                choices=modes,
                initial=current[channel],
                widget=forms.RadioSelect,
                help_text=CHANNEL_HELP[channel],
            )


@login_required
@submit_once.guard(submit_once.WHEN_SENT)  # the same choices saved again change nothing
def preferences(request):
    """How the user hears of events: per channel, immediately, in a daily digest, or not."""
    current = {str(k): str(v) for k, v in DEFAULT_NOTIFICATION_MODES.items()}
    current.update(
        NotificationPreference.objects.filter(user=request.user).values_list("channel", "mode")
    )
    form = PreferencesForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():

        @transaction.atomic  # both channels, or neither
        def save():
            for channel, mode in form.cleaned_data.items():
                if current.get(channel) != mode:
                    notifications.preference_set(
                        acting_user=request.user, channel=channel, mode=mode
                    )

        try:
            outcome = submit_once.run(
                request, save, result_url=lambda saved: reverse("preferences"), required=False
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            if outcome.repeated:
                messages.info(request, submit_once.ALREADY_SAVED)
            else:
                messages.success(request, gettext("Notification preferences saved."))
            return redirect("preferences")
    return render(request, "liaison_offices/preferences.html", {"form": form})
