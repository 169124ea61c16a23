from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

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
