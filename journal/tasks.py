from datetime import timedelta
from smtplib import SMTPException

from celery import shared_task
from django.utils import timezone

from . import safety
from .models import SafetyAlert


@shared_task(
    bind=True,
    ignore_result=True,
    autoretry_for=(SMTPException, OSError),
    retry_backoff=30,
    retry_jitter=True,
    max_retries=8,
)
def notify_safety_alert(self, alert_id: int) -> None:
    if not SafetyAlert.objects.filter(pk=alert_id).exists():
        return
    safety.send_alert_email(alert_id)


@shared_task(ignore_result=True)
def send_pending_safety_alerts() -> int:
    """Sweep for alerts whose email was never sent (the broker was down when they
    were raised, or every retry failed); runs every minute from beat."""
    stale = timezone.now() - timedelta(minutes=1)
    pending = SafetyAlert.objects.filter(notified_at=None, created_at__lt=stale).values_list(
        "pk", flat=True
    )
    sent = 0
    for alert_id in pending[:100]:
        try:
            sent += safety.send_alert_email(alert_id)
        except (SMTPException, OSError):
            continue
    return sent
