"""Links in emails that work without signing in: the site's address and the
one-click unsubscribe link every optional email carries."""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from accounts.models import User

from .models import EmailPreference

UNSUBSCRIBE_SALT = "prep.unsubscribe"  # unchanged, so links already sent keep working
# Long enough for any email someone keeps; after that, settings are a sign-in away.
UNSUBSCRIBE_MAX_AGE = timedelta(days=365)


class LinkError(Exception):
    """Why an emailed link cannot be used; `reason` picks the page shown."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def site_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def unsubscribe_link(user, category: str) -> str:
    token = signing.dumps({"u": user.pk, "c": category}, salt=UNSUBSCRIBE_SALT)
    return site_url(reverse("notifications:unsubscribe", args=[token]))


def read_unsubscribe_link(token: str) -> tuple[User, str]:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=UNSUBSCRIBE_MAX_AGE)
    except signing.SignatureExpired:
        raise LinkError("expired") from None
    except signing.BadSignature:
        raise LinkError("invalid") from None
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or data.get("c") not in EmailPreference.Category.values:
        raise LinkError("invalid")
    return user, data["c"]


def preference_for(user) -> EmailPreference:
    """Saved preferences, or the defaults (unsaved: reading never writes). Read
    from `user` when it came with them (the dispatcher loads a batch's recipients
    with select_related("email_preference")), else from the database."""
    saved = User.email_preference.related
    if saved.is_cached(user):
        return saved.get_cached_value(user) or EmailPreference(user=user)
    return EmailPreference.objects.filter(user=user).first() or EmailPreference(user=user)
