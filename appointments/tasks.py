from celery import shared_task

from . import series


@shared_task(ignore_result=True, time_limit=600, soft_time_limit=560)
def materialise_session_series() -> int:
    """Daily from beat: each running series keeps its next weeks of sessions."""
    return series.materialise_all()
