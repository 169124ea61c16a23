from django.http import JsonResponse
from django.shortcuts import redirect, render
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
