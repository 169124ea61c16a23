from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from core import crypto

from . import signals
from .mfa import signed_in_recently
from .models import User


def _queue(purpose: str, *, user: User, target_id: int) -> None:
    answers = signals.account_email_wanted.send(
        sender=User, purpose=purpose, user=user, target_id=target_id
    )
    if not any(queued for _receiver, queued in answers):
        raise ImproperlyConfigured(f"Nothing queues the {purpose!r} email (notifications).")


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # The public sign-up page makes patients only (therapists are invited by a
        # practice manager); a practice may close it and keep to invitations.
        return settings.OPEN_PATIENT_SIGNUP

    def save_user(self, request, user, form, commit=True):
        # Whatever a request posts, an account made here is a patient's.
        user.role = User.Role.PATIENT
        return super().save_user(request, user, form, commit)

    # allauth's emails leave through the one outbox like every other email. Only what
    # it is about is queued; the link (which holds a secret) is made at send time by
    # the kind registered in notifications/emails.py, so no key is ever stored.

    def send_confirmation_mail(self, request, emailconfirmation, signup):
        address = emailconfirmation.email_address
        _queue(signals.CONFIRM_ADDRESS, user=address.user, target_id=address.pk)

    def send_password_reset_mail(self, user, email, context):
        _queue(signals.RESET_PASSWORD, user=user, target_id=user.pk)

    def send_account_already_exists_mail(self, email):
        # Someone signed up with an address that has an account: its owner is told,
        # the page says the same as for a new address (no enumeration).
        user = User.objects.filter(email=User.objects.normalize_email(email)).first()
        if user is not None:
            _queue(signals.ACCOUNT_EXISTS, user=user, target_id=user.pk)

    def send_mail(self, template_prefix, email, context):
        # Every allauth email this configuration sends has a kind above; a new one
        # (a setting turned on, an allauth upgrade) must get one, not bypass the outbox.
        raise ImproperlyConfigured(f"allauth's {template_prefix!r} email has no outbox kind.")

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        # allauth counts only an explicit "confirm it's you", so a therapist who
        # signed in a minute ago and is sent to set up two-factor sign-in
        # (accounts/middleware.py) typed their password twice. For two-factor
        # settings a sign-in within the same window counts too; every other
        # confirmation (deleting an account) is allauth's own.
        request = context.request
        if app == "allauth.mfa" and request is not None and signed_in_recently(request):
            return False
        return super().is_reauthentication_required(app=app, **kwargs)


class MFAAdapter(DefaultMFAAdapter):
    """Authenticator secrets are stored encrypted, like every other secret text."""

    def encrypt(self, text: str) -> str:
        return crypto.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return crypto.decrypt(encrypted_text)
