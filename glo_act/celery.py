"""The Celery application: settings come from Django's (`CELERY_*`), tasks from each app."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "glo_act.settings")

app = Celery("glo_act")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
