from celery import shared_task

from . import submissions


@shared_task(ignore_result=True, time_limit=120, soft_time_limit=100)
def purge_submission_tokens() -> int:
    """Runs from beat: forget one-time form tokens older than a day (a form left open
    that long is sent as a new submission)."""
    return submissions.purge()
