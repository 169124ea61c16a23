import hashlib
import json
import re

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.contrib.staticfiles import finders
from django.http import JsonResponse
from django.middleware.csrf import REASON_NO_CSRF_COOKIE
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_safe

from . import health


def home(request):
    """Send each person to their own start page."""
    user = request.user
    if not user.is_authenticated:
        return render(request, "landing.html")
    if user.is_therapist:
        return redirect("prep:therapist_dashboard")
    if user.is_manager:
        return redirect("feedback:practice_home")
    return redirect("prep:patient_home")


@never_cache
@require_GET
def healthz(request):
    state = {"database": health.database_state(), "broker": health.broker_state()}
    healthy = all(value == "ok" for value in state.values())
    return JsonResponse(state, status=200 if healthy else 503)


def admin_login(request):
    """The admin's own sign-in page would skip two-factor sign-in and the sign-in
    throttle; send everyone through the app's."""
    return redirect_to_login(request.GET.get("next") or "/admin/", reverse("account_login"))


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico whatever a page's <link rel="icon"> says."""
    return redirect(static("img/favicon.ico"), permanent=True)


# Never shown back, whatever the form: secrets, and the tokens a form carries.
NEVER_SHOWN_BACK = re.compile(r"password|token|secret|csrf|code|otp|key", re.IGNORECASE)
TYPED_FIELDS_SHOWN = 10


def _same_site(request, url: str) -> bool:
    return bool(url) and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def _typed_text(request) -> list[tuple[str, str]]:
    """What a person typed into the form (sentences, not ticks, numbers or
    choices), so they can copy it before trying again. Only for a form sent from
    this site's own page: a page elsewhere must not put its words on ours."""
    origin = request.headers.get("Origin")
    came_from = origin + "/" if origin else request.headers.get("Referer", "")
    if not _same_site(request, came_from):
        return []
    typed = []
    for name, values in request.POST.lists():
        if NEVER_SHOWN_BACK.search(name):
            continue
        for value in values:
            value = value.strip()
            if len(value.split()) > 1 or len(value) >= 20:
                typed.append((name.replace("_", " ").capitalize(), value))
    return typed[:TYPED_FIELDS_SHOWN]


def csrf_failure(request, reason=""):
    """A form sent without a valid CSRF token (settings.CSRF_FAILURE_VIEW): nothing
    was done. Say so plainly, give back what was typed, and never act on it."""
    referer = request.headers.get("Referer", "")
    return render(
        request,
        "403_csrf.html",
        {
            "typed": _typed_text(request),
            "no_cookie": reason == REASON_NO_CSRF_COOKIE,
            "back_url": referer if _same_site(request, referer) else "",
        },
        status=403,
    )


# The installable app (PWA) -------------------------------------------------------

# What the service worker keeps on the phone: the look of the app and two pages that
# are the same for everyone (the offline daily log and "Need help now"). Never a page
# with a person's data in it: those are always fetched from the network.
OFFLINE_STATIC = [
    "vendor/bootstrap/bootstrap.min.css",
    "css/app.css",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "vendor/htmx/htmx.min.js",
    "js/app.js",
    "js/offline.js",
    "js/offline-queue.js",
    "img/favicon.svg",
    "img/favicon.ico",
    "img/icon-192.png",
]
THEME_COLOUR = "#2f6f73"  # the palette's first colour (core/charts.py PALETTE)
BACKGROUND_COLOUR = "#fbfaf7"  # the page background in static/css/app.css


@require_safe
def web_manifest(request):
    icons = [
        {"src": static("img/icon-192.png"), "sizes": "192x192", "type": "image/png"},
        {"src": static("img/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        {
            "src": static("img/icon-maskable-512.png"),
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        },
    ]
    manifest = {
        "name": settings.SITE_NAME,
        "short_name": settings.SITE_NAME,
        "description": "Your daily log and therapy preparation.",
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": icons,
    }
    return JsonResponse(manifest, content_type="application/manifest+json")


def _offline_shell() -> dict:
    urls = [static(path) for path in OFFLINE_STATIC]
    pages = [reverse("journal:offline"), reverse("journal:support")]
    # A new version whenever a kept file changes, so phones fetch the new ones.
    digest = hashlib.sha256()
    for path in OFFLINE_STATIC:
        digest.update(path.encode())
        with open(finders.find(path), "rb") as kept:
            digest.update(kept.read())
    return {"version": digest.hexdigest()[:16], "static": urls, "pages": pages}


@require_safe
def service_worker(request):
    """The service worker, from this site's root so it may look after every page
    (Service-Worker-Allowed says so). Browsers check it for updates on each visit."""
    shell = _offline_shell()
    response = render(
        request,
        "sw.js",
        {
            "shell": json.dumps(shell),
            "queue_script": json.dumps(static("js/offline-queue.js")),
            "offline_page": json.dumps(shell["pages"][0]),
            "support_page": json.dumps(shell["pages"][1]),
            "quick_mood_url": json.dumps(reverse("journal:quick_mood")),
        },
        content_type="text/javascript; charset=utf-8",
    )
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response
