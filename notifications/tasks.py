import logging

from celery import shared_task
from django.db import transaction

from . import daily, dispatch

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True, time_limit=240, soft_time_limit=220)
def dispatch_outbox() -> dict:
    """Beat runs this every minute: the per-minute scan of due rows is the whole
    schedule, so no task ever waits in the broker with a far-future ETA. A run
    that finds a backlog asks for one more run, so a backlog is sent by every
    free worker process at once (their claims never share a row)."""
    return dispatch.dispatch(on_backlog=_another_run)


def _another_run() -> None:
    if dispatch_outbox.app.conf.task_always_eager:
        return  # it would run inside this one, not beside it
    # On the queue this run came from; like beat's own runs, it expires unstarted
    # once the next minute's run is due.
    queue = (dispatch_outbox.request.delivery_info or {}).get("routing_key")
    try:
        dispatch_outbox.apply_async(queue=queue, expires=55)
    except Exception as error:
        logger.warning("Could not ask for another dispatch (this one goes on): %s", error)


@shared_task(ignore_result=True, time_limit=600, soft_time_limit=580)
def plan_daily_emails() -> int:
    """Make sure everyone who wants one has their next daily email planned."""
    return daily.plan_everyone()


def dispatch_soon() -> None:
    """Ask for a dispatch as soon as the transaction commits, for emails that should
    not wait for the next minute (safety alerts). Beat's per-minute run is the
    guarantee; this is only a head start, so a broker that is down is only logged."""

    def kick():
        try:
            dispatch_outbox.delay()
        except Exception as error:
            logger.warning("Could not ask for an early dispatch (beat will run it): %s", error)

    transaction.on_commit(kick)
