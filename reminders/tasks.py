"""Tasks of the reminders app: thin, by id, safe to run twice.

The upload services queue these tasks, so each task imports its service when it runs.
"""

from celery import shared_task

from reminders.models import Upload


@shared_task(name="reminders.validate_upload")
def validate_upload(upload_id: int, **kwargs) -> None:
    """Reads and checks an uploaded bill file (the validation report)."""
    from reminders.uploads import upload_validate

    upload = Upload.objects.filter(pk=upload_id).first()
    if upload is not None:
        upload_validate(upload=upload)


@shared_task(name="reminders.purge_upload_rows")
def purge_upload_rows(upload_id: int, **kwargs) -> None:
    """Drops the staging rows of an upload once its bills exist (or it was dropped)."""
    from reminders.uploads import upload_rows_purge

    upload_rows_purge(upload_id=upload_id)


@shared_task(name="reminders.decide_upload")
def decide_upload(upload_id: int, action: str, actor_id: int, reason: str = "", **kwargs) -> None:
    """Carries out a maker's or approver's decision on an upload (submit, approve, reject, discard)."""
    from reminders.uploads import upload_decision_carry_out

    upload_decision_carry_out(upload_id=upload_id, action=action, actor_id=actor_id, reason=reason)


@shared_task(name="reminders.requeue_stalled_uploads")
def requeue_stalled_uploads(**kwargs) -> int:
    """Queues again the check or decision of an upload whose task was lost (beat, every minute)."""
    from reminders.uploads import upload_requeue_stalled

    return upload_requeue_stalled()


@shared_task(name="reminders.expire_upload_files")
def expire_upload_files(**kwargs) -> int:
    """Removes the stored files and problem lists of finished uploads past their retention (beat, hourly)."""
    from reminders.uploads import upload_files_expire

    return upload_files_expire()
