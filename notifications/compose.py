"""Building an email from an outbox row: the recipient's own time zone for every
date, the unsubscribe link and headers for emails that can be turned off, and a
header naming the row (operators and the delivery tests trace a message by it)."""

from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import timezone

from core.emails import build_email

from .kinds import get
from .links import site_url, unsubscribe_link
from .models import EmailPreference

MESSAGE_HEADER = "X-Between-Sessions-Message"


def compose(message, template: str, context: dict, *, to: list[str] | None = None):
    """The email for `message` (an outbox row) from templates/email/<template>.*,
    to its recipient unless `to` says otherwise."""
    kind = get(message.kind)
    recipient = message.recipient
    context = {"home_url": site_url(reverse("home")), **context}
    headers = {MESSAGE_HEADER: str(message.pk)}
    if recipient is not None:
        context.setdefault("name", recipient.first_name)
    if recipient is not None and kind.category:
        unsubscribe = unsubscribe_link(recipient, kind.category)
        context.update(
            unsubscribe_url=unsubscribe,
            # The setting's own name, quoted in the footer as it reads on the page:
            # "because “Summary ready to review” emails are on".
            category=EmailPreference.Category(kind.category).label,
            settings_url=site_url(reverse("notifications:email_preferences")),
        )
        headers.update(
            {
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            }
        )
    to = to if to is not None else [recipient.email]
    # Dates in the email are the recipient's own local times.
    if recipient is not None:
        with timezone.override(recipient.zone):
            email: EmailMultiAlternatives = build_email(template, context, to=to)
    else:
        email = build_email(template, context, to=to)
    email.extra_headers.update(headers)
    return email
