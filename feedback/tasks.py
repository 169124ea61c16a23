from datetime import timedelta
from smtplib import SMTPException

from celery import shared_task
from django.utils import timezone

from . import alerts
from .models import AllianceAlert


@shared_task(
    bind=True,
    ignore_result=True,
    autoretry_for=(SMTPException, OSError),
    retry_backoff=30,
    retry_jitter=True,
    max_retries=8,
)
def notify_alliance_alert(self, alert_id: int) -> None:
    if AllianceAlert.objects.filter(pk=alert_id).exists():
        alerts.send_alert_email(alert_id)


@shared_task(ignore_result=True)
def send_pending_alliance_alerts() -> int:
    """Alerts whose email never went (broker down, retries spent); every minute."""
    stale = timezone.now() - timedelta(minutes=1)
    sent = 0
    for alert_id in AllianceAlert.objects.filter(
        notified_at=None, created_at__lt=stale
    ).values_list("pk", flat=True)[:100]:
        try:
            sent += alerts.send_alert_email(alert_id)
        except (SMTPException, OSError):
            continue
    return sent
