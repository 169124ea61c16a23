from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse


class StaffMFARequiredMiddleware:
    """Therapists and practice managers must set up two-factor sign-in before they
    can see any patient's information (when settings.REQUIRE_STAFF_MFA is on)."""

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
            and user.is_clinical_staff
            and not request.path.startswith(self.allowed_prefixes)
            and not is_mfa_enabled(user)
        ):
            messages.info(
                request,
                "Please set up two-factor sign-in with an authenticator app before "
                "you continue. It protects your patients' information.",
            )
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
