"""Building the product's emails from templates/email/ (they leave only through the
outbox, notifications/).

Each email is three templates: `<name>_subject.txt`, `<name>.txt` and `<name>.html`.
Emails say when and where, never what a patient logged.
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template, render_to_string


def _plain_text(template_name: str, context: dict) -> str:
    """Plain text is not HTML: a name like O'Brien stays as written."""
    return get_template(template_name).template.render(Context(context, autoescape=False))


def build_email(name: str, context: dict, to: list[str]) -> EmailMultiAlternatives:
    context = {"site_name": settings.SITE_NAME, **context}
    # One line whatever the names in it hold: a line break in a header is refused.
    subject = " ".join(_plain_text(f"email/{name}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=f"{settings.EMAIL_SUBJECT_PREFIX}{subject}",
        body=_plain_text(f"email/{name}.txt", context),
        to=to,
    )
    message.attach_alternative(render_to_string(f"email/{name}.html", context), "text/html")
    return message
