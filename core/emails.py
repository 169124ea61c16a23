"""Building the product's emails from templates/email/ (they leave only through the
outbox, notifications/).

Each email is three templates: `<name>_subject.txt`, `<name>.txt` and `<name>.html`.
Emails say when and where, never what a patient logged.
"""

import re
import secrets
from email._policybase import Compat32

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template, render_to_string


def _plain_text(template_name: str, context: dict) -> str:
    """Plain text is not HTML: a name like O'Brien stays as written."""
    return get_template(template_name).template.render(Context(context, autoescape=False))


# Printable ASCII words with single spaces between them.
_PLAIN_HEADER = re.compile(r"[!-~]+(?: [!-~]+)*")


class _QuickHeaders(Compat32):
    """The email package's own header folding (the policy Django's messages use),
    with a short cut for a header that already fits on one line in plain ASCII: it
    is written as it is, which is what the folding would write, without building a
    Header object for each of an email's twenty-odd headers."""

    def _fold(self, name, value, sanitize):
        if (
            type(value) is str
            and len(name) + len(value) <= 76  # with ": ", within 78 characters
            and "=?" not in value
            and _PLAIN_HEADER.fullmatch(value)
        ):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


_QUICK_HEADERS = _QuickHeaders()


class _Email(EmailMultiAlternatives):
    def message(self, *args, **kwargs):
        message = super().message(*args, **kwargs)
        message.policy = _QUICK_HEADERS
        # Left to itself, the standard library picks each multipart boundary by
        # compiling a new regular expression to check it against the whole text,
        # most of the cost of writing an email out. A boundary with 128 random bits
        # cannot occur in the text, and an "=" never occurs in encoded text.
        for part in message.walk():
            if part.is_multipart() and part.get_boundary() is None:
                part.set_boundary(f"==============={secrets.token_hex(16)}==")
        return message


def build_email(name: str, context: dict, to: list[str]) -> EmailMultiAlternatives:
    context = {"site_name": settings.SITE_NAME, **context}
    # One line whatever the names in it hold: a line break in a header is refused.
    subject = " ".join(_plain_text(f"email/{name}_subject.txt", context).split())
    message = _Email(
        subject=f"{settings.EMAIL_SUBJECT_PREFIX}{subject}",
        body=_plain_text(f"email/{name}.txt", context),
        to=to,
    )
    message.attach_alternative(render_to_string(f"email/{name}.html", context), "text/html")
    return message
