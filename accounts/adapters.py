from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings

from core import crypto


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # Patients join through a therapist's invitation; the public sign-up page is
        # for therapists, and a practice may close it.
        return settings.OPEN_SIGNUP


class MFAAdapter(DefaultMFAAdapter):
    """Authenticator secrets are stored encrypted, like every other secret text."""

    def encrypt(self, text: str) -> str:
        return crypto.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return crypto.decrypt(encrypted_text)
