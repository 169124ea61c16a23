from django.conf import settings

from .navigation import Navigation


def site(request):
    return {
        "site_name": settings.SITE_NAME,
        "open_patient_signup": settings.OPEN_PATIENT_SIGNUP,
    }


def navigation(request):
    # Lazy: a fragment htmx fetches never draws the bar, so never works it out.
    return {"nav": Navigation(request)}
