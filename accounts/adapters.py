from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # Patients join through a therapist's invitation; the public sign-up page is
        # for therapists, and a practice may close it.
        return settings.OPEN_SIGNUP
