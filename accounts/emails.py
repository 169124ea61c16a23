"""Sending the product's own emails from templates/email/.

Each email is three templates: `<name>_subject.txt`, `<name>.txt` and `<name>.html`.
Emails say when and where, never what a patient logged.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone


def build_email(name: str, context: dict, to: list[str]) -> EmailMultiAlternatives:
    context = {"site_name": settings.SITE_NAME, **context}
    subject = render_to_string(f"email/{name}_subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject=f"{settings.EMAIL_SUBJECT_PREFIX}{subject}",
        body=render_to_string(f"email/{name}.txt", context),
        to=to,
    )
    message.attach_alternative(render_to_string(f"email/{name}.html", context), "text/html")
    return message


def send_email(name: str, context: dict, to: list[str]) -> None:
    build_email(name, context, to).send()


def send_once(model, pk: int, stamp_field: str, build) -> bool:
    """Send one notification whose row is its own outbox: claim it by stamping
    `stamp_field` with a conditional update (so two workers never both send it),
    send what `build()` returns (None sends nothing), and release the claim if the
    mail server refuses, for a retry. True when this call sent it."""
    claimed = model.objects.filter(pk=pk, **{stamp_field: None}).update(
        **{stamp_field: timezone.now()}
    )
    if not claimed:
        return False
    try:
        message = build()
        if message is not None:
            message.send()
    except Exception:
        model.objects.filter(pk=pk).update(**{stamp_field: None})
        raise
    return True
