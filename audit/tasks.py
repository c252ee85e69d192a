"""The audit's weekly task (Celery beat, `glo_act/settings.py`)."""

from __future__ import annotations

from celery import shared_task

from audit import digest


@shared_task
def send_unusual_reading_digest() -> int:
    return digest.send_digest()
