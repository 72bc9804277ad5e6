"""Kopra Bill Reminder: the project shell (settings, urls, Celery app, probes, admin site)."""

from kopra.celery import app as celery_app

__all__ = ["celery_app"]
