"""Query filters of the files API: the files of one record."""

from __future__ import annotations

import django_filters

from evidence.constants import FileKind
from evidence.models import Attachment
from glo_act.api import StrictFilterSet


class AttachmentFilter(StrictFilterSet):
    case = django_filters.CharFilter(
        field_name="case__reference", max_length=24, help_text="Files on this case (reference)."
    )
    message = django_filters.NumberFilter(
        field_name="message_id", min_value=1, max_value=2**53, help_text="Files on this message."
    )
    request = django_filters.NumberFilter(
        field_name="request_id",
        min_value=1,
        max_value=2**53,
        help_text="Files on this cooperation request.",
    )
    answer = django_filters.NumberFilter(
        field_name="answer_id",
        min_value=1,
        max_value=2**53,
        help_text="Files on the answer to this cooperation request.",
    )
    referral = django_filters.NumberFilter(
        field_name="referral_id", min_value=1, max_value=2**53, help_text="Files on this referral."
    )
    update = django_filters.NumberFilter(
        field_name="update_id",
        min_value=1,
        max_value=2**53,
        help_text="Files on this update of a referral.",
    )
    victim = django_filters.CharFilter(
        field_name="victim__code", max_length=24, help_text="Documents of this victim (code)."
    )
    kind = django_filters.ChoiceFilter(choices=FileKind.choices)

    class Meta:
        model = Attachment
        fields = ["case", "message", "request", "answer", "referral", "update", "victim", "kind"]
