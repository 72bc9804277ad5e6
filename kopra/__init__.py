"""Kopra Bill Reminder: the project package (settings, urls, Celery app, shared plumbing)."""

from kopra.celery import app as celery_app

__all__ = ["celery_app"]
