from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse

from .mfa import must_use_mfa, session_passed_mfa


class StaffMFARequiredMiddleware:
    """Therapists, practice managers and anyone with the admin must set up two-factor
    sign-in, and have used it in this session, before they see any patient's
    information (when settings.REQUIRE_STAFF_MFA is on). This covers every door,
    the admin included: a session signed in with a password alone is signed out."""

    # Pages a staff member without MFA may still reach: the setup itself, sign-out,
    # password and email management.
    allowed_prefixes = ("/accounts/", "/static/", "/healthz")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            settings.REQUIRE_STAFF_MFA
            and user.is_authenticated
            and must_use_mfa(user)
            and not request.path.startswith(self.allowed_prefixes)
        ):
            if not is_mfa_enabled(user):
                messages.info(
                    request,
                    "Please set up two-factor sign-in with an authenticator app before "
                    "you continue. It protects your patients' information.",
                )
                return redirect(reverse("mfa_activate_totp"))
            if not session_passed_mfa(request):
                logout(request)
                return redirect_to_login(request.get_full_path(), reverse("account_login"))
        return self.get_response(request)
