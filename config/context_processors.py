from django.conf import settings


def site(request):
    return {"site_name": settings.SITE_NAME, "open_signup": settings.OPEN_SIGNUP}
