"""Who sees a file: exactly who sees its record, at the level that record needs.

| the file is on        | seen by (the record's own rule)                                     |
|-----------------------|---------------------------------------------------------------------|
| a case                | those who see the case at FULL level or above (`Case.visible_to`)   |
| a case message        | those who see the message (`Message.visible_to`: FULL on the case,  |
|                       | or the two parties of a request's thread)                           |
| a cooperation request | its two parties (`CooperationRequest.visible_to`)                   |
| a request's answer    | the same two parties (the request's rule)                           |
| a referral            | the referring office and the receiving partner (`Referral`)         |
| a referral's update   | the same two parties (the referral's rule)                          |
| a victim              | those who see every personal field of the victim                    |
|                       | (`Victim.with_personal_access`: lead or recording office, a consented |
|                       | FULL_WITH_VICTIMS share, a referral whose service needs every field) |

Each branch is the record's own rule, built from the same scope (docs/architecture.md); this
module writes no rule of its own. HQ sees every file (`VisibleQuerySet`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q

from evidence.constants import LISTED_STATUSES, FileStatus
from liaison_offices.access import VisibleQuerySet

if TYPE_CHECKING:
    from evidence.models import Attachment


# What a file is read with, by the record it is on (exactly one is set): the record, and what
# its handling code and names are read from.
RECORD_RELATIONS = {
    "case_id": "case__lead_office",
    "message_id": "message__case__lead_office",
    "request_id": "request__case__lead_office",
    "answer_id": "answer__case__lead_office",
    "victim_id": "victim",
    "referral_id": "referral__victim",
    "update_id": "update__referral__victim",
}


class AttachmentQuerySet(VisibleQuerySet):
    def rule(self, scope, at):
        from cases.constants import ShareLevel
        from cases.models import Case, CooperationRequest, Message
        from victims.constants import ALL_PERSONAL_FIELDS
        from victims.models import Referral, Victim
        from victims.querysets import PersonalAccess, VisibleVictims, field_bits

        every_field = field_bits(ALL_PERSONAL_FIELDS)
        cases = Case.objects.filter(Case.objects.rule(scope, at, min_level=ShareLevel.FULL))
        messages = Message.objects.filter(Message.objects.rule(scope, at))
        requests = CooperationRequest.objects.filter(CooperationRequest.objects.rule(scope, at))
        referrals = Referral.objects.filter(Referral.objects.rule(scope, at))
        victims = (
            Victim.objects.filter(VisibleVictims(scope, at))
            .annotate(file_access=PersonalAccess(scope, at))
            .filter(file_access=every_field)
        )
        return (
            Q(case__in=cases.values("pk"))
            | Q(message__in=messages.values("pk"))
            | Q(request__in=requests.values("pk"))
            | Q(answer__in=requests.values("pk"))
            | Q(referral__in=referrals.values("pk"))
            | Q(update__referral__in=referrals.values("pk"))
            | Q(victim__in=victims.values("pk"))
        )

    def one_with_its_record(self, public_id, *also) -> Attachment | None:
        """The file with this id in this (already scoped) queryset, or None, read with the one
        record it is on (and `also`). Two statements: the first finds the file and which
        record it is on; the second reads it with that record's relations only. Joined in
        one, the rule's subqueries and every record's tables took PostgreSQL longer to plan
        (twenty relations) than to run, and a plan that scanned every victim and case."""
        found = (
            self.select_related(None)
            .filter(public_id=public_id)
            .values("pk", *RECORD_RELATIONS)
            .first()
        )
        if found is None:
            return None
        related = [path for column, path in RECORD_RELATIONS.items() if found[column]]
        # scoped: `found` came from this queryset, which the caller scoped (visible_to).
        return self.model.objects.select_related(*related, *also).get(pk=found["pk"])

    def listed(self):
        """Files a record's page lists: being checked or available (not withdrawn)."""
        return self.filter(status__in=LISTED_STATUSES)

    def available(self):
        return self.filter(status=FileStatus.AVAILABLE)

    def on(self, record):
        """The files of one record (a Case, Message, CooperationRequest, `AnswerOf` a request,
        Referral, ReferralUpdate or Victim)."""
        from evidence.models import RECORD_FIELDS

        name = record_field(record)
        assert name in RECORD_FIELDS
        return self.filter(**{f"{name}_id": record.pk})


@dataclass(frozen=True)
class AnswerOf:
    """The answer of a cooperation request, as a record files hang on: the answer is the
    request's own field, so its files name the request (`Attachment.answer`)."""

    request: object

    @property
    def pk(self) -> int:
        return self.request.pk

    @property
    def case(self):
        return self.request.case

    def get_absolute_url(self) -> str:
        return self.request.get_absolute_url() + "#answer"


def record_field(record) -> str:
    """The Attachment field that holds `record` ("case", "message", …)."""
    if isinstance(record, AnswerOf):
        return "answer"
    return {
        "case": "case",
        "message": "message",
        "cooperationrequest": "request",
        "referral": "referral",
        "referralupdate": "update",
        "victim": "victim",
    }[record._meta.model_name]
