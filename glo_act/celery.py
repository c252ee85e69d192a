"""The Celery application: settings come from Django's (`CELERY_*`), tasks from each app.

Two queues: the default one (CELERY_QUEUE, "glo_act") for planning, in-app and email
delivery, sweeps and reminders, and `<CELERY_QUEUE>_webhooks` for the tasks that wait on a
partner's server. Each has its own workers (`make worker`, `make webhook-worker`; the `worker`
and `webhook-worker` services in docker-compose.yml), so a partner that answers slowly or not
at all holds only webhook workers (docs/delivery.md).
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "glo_act.settings")

app = Celery("glo_act")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Tasks that talk to partners' servers, and so may wait for seconds each.
WEBHOOK_TASKS = frozenset({"liaison_offices.tasks.send_webhook"})


def webhook_queue() -> str:
    """The webhook queue's name: the default queue's, with `_webhooks`."""
    return f"{app.conf.task_default_queue}_webhooks"


def route_task(name, args, kwargs, options, task=None, **kw):
    """Celery's router (settings.CELERY_TASK_ROUTES): webhooks to their own queue. Read from
    the default queue at each call, so a process pointed at another queue (a test session)
    routes its webhooks next to it."""
    if name in WEBHOOK_TASKS:
        return {"queue": webhook_queue()}
    return None
