import logging
import zoneinfo

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)


class UserTimezoneMiddleware:
    """Show every date and time in the signed-in person's own time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            try:
                timezone.activate(zoneinfo.ZoneInfo(user.timezone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)


class PrivatePagesMiddleware:
    """Nothing a signed-in person sees is stored by the browser or a proxy, so the
    back button on a shared computer shows nothing private after sign-out."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated:
            add_never_cache_headers(response)
            response["Cache-Control"] += ", no-store"
        return response


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


class ServiceUnavailableMiddleware:
    """When the shared cache (Redis: sign-in rate limits live there) is briefly
    unreachable, say so with a 503 page instead of a 500. Nothing is lost: the
    request changed nothing, and the person can simply try again."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, RedisConnectionError | RedisTimeoutError):
            logger.error("Cache unreachable: %s", exception)
            return render(request, "503.html", status=503)
        return None
