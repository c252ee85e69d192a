"""The worker's part: scanning files that were stored while the scanner could not be asked.

`scan_file` is idempotent (a file no longer "being checked" is left alone); a scanner still
down is retried with backoff, and the beat sweep (`scan_files_being_checked`) picks up whatever
the retries gave up on.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import DatabaseError

from evidence.constants import FileStatus
from evidence.scanning import ScannerUnavailable

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    ignore_result=True,
    autoretry_for=(ScannerUnavailable, DatabaseError),
    retry_backoff=30,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
)
def scan_file(self, attachment_id: int) -> None:
    from evidence.services import scan_stored

    if self.request.is_eager:
        # In-process (no Redis): a scanner that is down is left to the beat sweep rather than
        # retried inside the web request.
        try:
            scan_stored(attachment_id)
        except ScannerUnavailable as exc:
            logger.warning("File %s still being checked: %s", attachment_id, exc)
        return
    scan_stored(attachment_id)


@shared_task(ignore_result=True)
def scan_files_being_checked() -> int:
    """Queue a scan of every file still being checked; how many were queued."""
    from evidence.models import Attachment

    ids = list(
        Attachment.objects.filter(status=FileStatus.CHECKING).values_list("pk", flat=True)[:500]
    )
    for pk in ids:
        scan_file.delay(pk)
    return len(ids)
