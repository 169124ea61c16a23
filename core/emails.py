"""Building the product's emails from templates/email/ (they leave only through the
outbox, notifications/).

Each email is three templates: `<name>_subject.txt`, `<name>.txt` and `<name>.html`.
Emails say when and where, never what a patient logged.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


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
