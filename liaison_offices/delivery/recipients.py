"""Who is told, decided when the worker runs, and what they are told (never personal data)."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import BigIntegerField, Exists, OuterRef, Q, Value

from liaison_offices import access
from liaison_offices.constants import (
    VIEW_CASES,
)
from liaison_offices.models import (
    LinkOfficeGroupObjectPermission,
    LinkOfficeUserObjectPermission,
    Membership,
    NotificationEvent,
    NotificationPreference,
    live_grant_q,
)

logger = logging.getLogger(__name__)

__all__ = [
    "VISIBILITY_BATCH",
    "absolute_url",
    "can_see",
    "candidate_users",
    "notification_modes",
    "partner_can_see",
    "render",
    "subject_model",
    "visible_among",
]


def render(event: NotificationEvent) -> tuple[str, str]:
    """The title and sentence of a notification in the active language and time zone
    (liaison_offices/sentences.py): words made from the payload's codes, which are checked at
    publish time to hold ids, codes and statuses only."""
    from liaison_offices.sentences import compose

    sentence = compose(event)
    return sentence.title, sentence.text


def message_id(local_part: str) -> str:
    """A Message-ID for an email that is the same each time the same email is sent again (a
    batch re-sent after a crash), so a mail client or server can drop the copy. The domain is
    the site's host."""
    host = urlsplit(settings.SITE_URL).hostname or "glo-act.invalid"
    return f"<{local_part}@{host}>"


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}" if path else settings.SITE_URL


# --- Recipients ---------------------------------------------------------------------------------
def candidate_users(event: NotificationEvent):
    """Active users the event targets: anyone sitting at a target office's desk (its group, or a
    grant of `view_office_cases` on it), active members of target partners, named users — minus
    the actor. One query; access to the subject is checked separately (`visible_among`)."""
    User = get_user_model()
    condition = Q(pk__in=event.user_ids)
    if event.office_ids:
        desk = Q(
            live_grant_q(),  # an ended grant no longer seats anyone at the desk
            content_object_id__in=event.office_ids,
            permission__codename=VIEW_CASES,
            permission__content_type__app_label="liaison_offices",
        )
        desk_groups = LinkOfficeGroupObjectPermission.objects.filter(desk).values("group_id")
        condition |= Exists(
            User.groups.through.objects.filter(user_id=OuterRef("pk"), group_id__in=desk_groups)
        )
        condition |= Exists(
            LinkOfficeUserObjectPermission.objects.filter(desk, user_id=OuterRef("pk"))
        )
    if event.partner_ids:
        condition |= Exists(
            Membership.objects.filter(
                user_id=OuterRef("pk"),
                partner_id__in=event.partner_ids,
                partner__is_active=True,
                ended_at__isnull=True,
            )
        )
    users = User.objects.filter(condition, is_active=True).order_by("pk")
    if event.actor_id is not None:
        users = users.exclude(pk=event.actor_id)
    return users


def subject_model(event: NotificationEvent):
    return ContentType.objects.get_for_id(event.subject_type_id).model_class()


def can_see(event: NotificationEvent, user) -> bool:
    """Can `user` still see the event's subject? Asks the subject model's
    `objects.visible_to(user)`; a model without one tells nobody (fail closed)."""
    if not event.check_visibility:
        return True
    model = subject_model(event)
    manager = getattr(model, "objects", None)
    visible_to = getattr(manager, "visible_to", None)
    if visible_to is None:
        logger.error("Subject model %s has no objects.visible_to; nobody is told.", model)
        return False
    return visible_to(user).filter(pk=event.subject_id).exists()


VISIBILITY_BATCH = 50


def visible_among(event: NotificationEvent, users: list) -> set[int]:
    """The ids of `users` who can still see the subject: the same `visible_to(user)` question
    as `can_see`, asked for a batch of users in one UNION query instead of one query each.

    Users with the same scope get the same answer (every `visible_to` reads the user only
    through `access.scope_of`), so it is asked once per scope: the four officers of an office
    are one probe, not four. Building the probes was most of the worker's CPU per event.
    """
    if not event.check_visibility:
        return {user.pk for user in users}
    model = subject_model(event)
    visible_to = getattr(getattr(model, "objects", None), "visible_to", None)
    if visible_to is None:
        logger.error("Subject model %s has no objects.visible_to; nobody is told.", model)
        return set()
    access.remember_scopes(users)  # one query for the batch instead of one per recipient
    by_scope: dict[access.Scope, list] = {}
    for user in users:
        by_scope.setdefault(access.scope_of(user), []).append(user)
    askers = [members[0] for members in by_scope.values()]
    seen: set[int] = set()
    for start in range(0, len(askers), VISIBILITY_BATCH):
        probes = [
            visible_to(user)
            .filter(pk=event.subject_id)
            .order_by()
            .annotate(recipient=Value(user.pk, output_field=BigIntegerField()))
            .values_list("recipient", flat=True)
            for user in askers[start : start + VISIBILITY_BATCH]
        ]
        seen.update(probes[0].union(*probes[1:], all=True))
    return {
        user.pk for scope, members in by_scope.items() if members[0].pk in seen for user in members
    }


def partner_can_see(event: NotificationEvent, partner_id: int) -> bool:
    """May the partner organisation itself still hear of the subject (its own live shares or
    referrals)? Asked of the organisation, not of a member who may also sit at an office."""
    if not event.check_visibility:
        return True
    return can_see(event, access.as_partner(partner_id))


def notification_modes(user_ids: list[int]) -> dict[tuple[int, str], str]:
    rows = NotificationPreference.objects.filter(user_id__in=user_ids).values_list(
        "user_id", "channel", "mode"
    )
    return {(user_id, channel): mode for user_id, channel, mode in rows}
