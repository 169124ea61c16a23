from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings

from core import crypto

from .mfa import signed_in_recently


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # Patients join through a therapist's invitation; the public sign-up page is
        # for therapists, and a practice may close it.
        return settings.OPEN_SIGNUP

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
