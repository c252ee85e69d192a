"""Sharing a case (or passing it on) and revoking a share, after confirmation."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.functional import cached_property
from django.utils.translation import gettext

from cases import forms as case_forms
from cases import services
from cases.models import (
    Case,
)
from cases.views.access import case_access, case_or_404, shares_for_page
from cases.views.case_page import CaseFormBase
from glo_act import submit_once
from liaison_offices.constants import HQ_CODE, OfficeStatus
from liaison_offices.models import LinkOffice, PartnerOrganisation

__all__ = ["CaseShareView", "ShareRevokeView", "share_recipients"]


def share_recipients(case: Case):
    """Offices and partners a case may be shared with (not its lead office, not HQ)."""
    offices = (
        LinkOffice.objects.filter(status=OfficeStatus.ACTIVE)
        .exclude(code=HQ_CODE)
        .exclude(pk=case.lead_office_id)
        .order_by("code")
    )
    partners = PartnerOrganisation.objects.filter(is_active=True).order_by("name")
    return offices, partners


class CaseShareView(CaseFormBase):
    form_token = submit_once.REQUIRED
    template_name = "cases/case_share.html"
    form_class = case_forms.ShareForm
    action = "view"  # the lead office shares; a recipient office may pass it on (the service)

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.case = case_or_404(request, kwargs["reference"])
        self.access = case_access(request.user, self.case)
        if not self.access.can_share:
            if self.access.held_only_under_h2:
                messages.error(
                    request,
                    f"{self.case.reference} was shared with you under H2 — no onward "
                    "dissemination without the originator's consent. Ask "
                    f"{self.case.lead_office.code} to share it.",
                )
            else:
                messages.error(request, gettext("Only the lead office can share this case."))
            return redirect(self.case)
        return super(CaseFormBase, self).dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        offices, partners = share_recipients(self.case)
        kwargs = {**super().get_form_kwargs(), "offices": offices, "partners": partners}
        if not self.access.can_change:
            # Passing on: partner organisations are the lead office's to choose.
            kwargs["partners"] = PartnerOrganisation.objects.none()
        return kwargs

    def get_initial(self):
        source = max(self.access.passable_shares, key=lambda s: s.level, default=None)
        if source is not None:
            return {"level": source.level, "handling_code": source.handling_code}
        return {}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "access": self.access}

    def perform(self, form):
        data = form.cleaned_data
        recipient = data["recipient"]
        return services.case_share(
            acting_user=self.request.user,
            case=self.case,
            level=data["level"],
            handling_code=data["handling_code"],
            office=recipient if isinstance(recipient, LinkOffice) else None,
            partner=recipient if isinstance(recipient, PartnerOrganisation) else None,
            handling_conditions=data.get("handling_conditions") or "",
            expires_at=data.get("expires_at"),
        )

    def get_success_message(self, form):
        share = self.result
        return gettext("%(reference)s shared with %(recipient)s — %(level)s, %(code)s.") % {
            "reference": self.case.reference,
            "recipient": share.recipient,
            "level": share.get_level_display(),
            "code": share.handling_code,
        }

    def get_success_url(self):
        return self.case.get_absolute_url() + "#shares"


class ShareRevokeView(CaseFormBase):
    form_token = submit_once.WHEN_SENT
    template_name = "cases/confirm.html"
    form_class = case_forms.ConfirmForm
    action = "view"

    @cached_property
    def share(self):
        shares = {s.pk: s for s in shares_for_page(self.request.user, self.case)}
        share = shares.get(self.kwargs["pk"])
        if share is None:
            raise Http404("No such share.")
        return share

    def get_context_data(self, **kwargs):
        share = self.share
        return {
            **super().get_context_data(**kwargs),
            "heading": f"Revoke the share to {share.recipient}?",
            "subject": f"{share.get_level_display()} · {share.get_handling_code_display()}",
            "consequence": f"{share.recipient} stops seeing {self.case.reference} at once, and "
            "so does anyone they passed it on to. This cannot be undone: to give access again, "
            "share the case anew.",
            "button": gettext("Revoke share"),
            "danger": True,
        }

    def perform(self, form):
        return services.share_revoke(acting_user=self.request.user, share=self.share)

    def get_success_message(self, form):
        others = len(self.result) - 1
        extra = f" (and {others} share{'s' if others > 1 else ''} passed on from it)"
        return f"Share to {self.share.recipient} revoked" + (extra if others else "") + "."

    def get_success_url(self):
        return self.case.get_absolute_url() + "#shares"
