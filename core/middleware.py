"""Middleware every app relies on: the reader's time zone, private pages, a 503
while the shared cache is down."""

import logging
import zoneinfo

from django.shortcuts import render
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
    """No page is stored by the browser or a proxy, so the back button on a shared
    computer shows nothing private after sign-out. That includes pages for people
    not signed in: an emailed link (an invitation, a session's confirm or cancel
    page) shows a name and a time without a sign-in. Static files are served
    (and cached) before this runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        if "no-store" not in response["Cache-Control"]:
            response["Cache-Control"] += ", no-store"
        return response


class PermissionsPolicyMiddleware:
    """No page needs the camera, microphone, location or payment: say so, so nothing
    embedded or injected can ask for them."""

    policy = (
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
        "accelerometer=(), gyroscope=(), magnetometer=()"
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", self.policy)
        return response


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
