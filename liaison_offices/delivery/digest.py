"""The daily digest: one email per user listing the notifications held for it."""

from __future__ import annotations

import hashlib
import logging

from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Case as SqlCase
from django.db.models import F, Value, When
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from liaison_offices.constants import DeliveryStatus
from liaison_offices.delivery.policy import MAX_ATTEMPTS
from liaison_offices.delivery.recipients import absolute_url, can_see, message_id
from liaison_offices.models import Delivery
from liaison_offices.sentences import Names, compose, reader_of, reading_as

logger = logging.getLogger(__name__)

__all__ = ["send_digest", "send_digests"]


# --- Daily digest -------------------------------------------------------------------------------
def send_digest(user_id: int) -> bool | None:
    """One email listing a user's held notifications. True sent, False failed, None nothing."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(user_id=user_id, status=DeliveryStatus.DIGEST)
            .values_list("pk", flat=True)
        )
        if not ids:
            return None
        Delivery.objects.filter(pk__in=ids).update(
            status=DeliveryStatus.CLAIMED, claimed_at=now, attempts=F("attempts") + 1
        )
    claimed = Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.CLAIMED, claimed_at=now)
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        claimed.update(status=DeliveryStatus.SKIPPED, last_error="no active user with an email")
        return None
    items, sent_ids, hidden_ids = [], [], []
    events = []
    for delivery in claimed.select_related("event").order_by("event__created_at"):
        if can_see(delivery.event, user):
            events.append(delivery.event)
            sent_ids.append(delivery.pk)
        else:
            hidden_ids.append(delivery.pk)
    Delivery.objects.filter(pk__in=hidden_ids).update(
        status=DeliveryStatus.SKIPPED, last_error="cannot see the subject any more"
    )
    if not sent_ids:
        return None
    with reading_as(reader_of(user)):
        names = Names.for_events(events)
        for event in events:
            items.append(
                {"sentence": compose(event, names), "url": absolute_url(event.subject_url)}
            )
        context = {
            "items": items,
            "count": len(items),
            "preferences_url": absolute_url(reverse("preferences")),
        }
        subject = ngettext(
            "[GLO.ACT] Your daily digest: %(count)d notification",
            "[GLO.ACT] Your daily digest: %(count)d notifications",
            len(items),
        ) % {"count": len(items)}
        text = render_to_string("notifications/digest.txt", context)
        html = render_to_string("notifications/digest.html", context)
    # The same deliveries make the same digest, with the same Message-ID if it is sent again.
    digest_key = hashlib.sha256(",".join(map(str, sorted(sent_ids))).encode()).hexdigest()[:20]
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[user.email],
        headers={
            "X-GloAct-Digest": digest_key,
            "Message-ID": message_id(f"digest-{user_id}.{digest_key}"),
        },
    )
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception as exc:  # noqa: BLE001 -- held again for the next run, error recorded
        logger.warning("Digest for user %s failed: %s", user_id, type(exc).__name__)
        Delivery.objects.filter(pk__in=sent_ids).update(
            status=SqlCase(
                When(attempts__gte=MAX_ATTEMPTS, then=Value(DeliveryStatus.FAILED)),
                default=Value(DeliveryStatus.DIGEST),
            ),
            last_error=type(exc).__name__,
        )
        return False
    Delivery.objects.filter(pk__in=sent_ids).update(
        status=DeliveryStatus.SENT, delivered_at=timezone.now(), last_error=""
    )
    return True


def send_digests() -> tuple[int, int]:
    """Every user's digest; returns (sent, failed)."""
    sent = failed = 0
    user_ids = (
        Delivery.objects.filter(status=DeliveryStatus.DIGEST)
        .order_by()
        .values_list("user_id", flat=True)
        .distinct()
    )
    for user_id in list(user_ids):
        outcome = send_digest(user_id)
        sent += outcome is True
        failed += outcome is False
    return sent, failed
