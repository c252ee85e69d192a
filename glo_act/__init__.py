"""GLO.ACT Case Coordination: the project package (settings, URLs, Celery app, shared bases)."""

from glo_act.celery import app as celery_app

__all__ = ["celery_app"]
