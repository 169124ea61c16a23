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
