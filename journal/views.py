from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.db import IntegrityError
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from accounts import audit
from accounts.access import (
    get_patient_for_therapist,
    patient_required,
    therapist_required,
)
from core.submissions import one_submission

from . import entries, history, measures, safety
from . import offline as offline_entries
from .forms import (
    DailyEntryForm,
    MeasureForm,
    MeasurePlanForm,
    ParkedTopicForm,
    QuickMoodForm,
    SafetyContactForm,
    SymptomForm,
)
from .models import (
    DailyEntry,
    MeasurePlan,
    MeasureResponse,
    ParkedTopic,
    SafetyAlert,
    Symptom,
    by_name,
)


@patient_required
def today(request):
    return redirect("journal:entry", day=request.user.today())


@patient_required
@one_submission
def entry(request, day: date):
    patient = request.user
    if day > patient.today():
        raise Http404("A day still to come cannot be logged.")
    if entries.is_read_only(patient, day):
        return _read_only_day(request, day)
    instance = DailyEntry.objects.filter(patient=patient, day=day).first()
    is_new = instance is None
    if is_new:
        # Every answer starts unanswered: nothing is carried over or assumed.
        instance = DailyEntry(patient=patient, day=day)
    # Saved ratings are only shown on a fresh form; a sent one shows what was sent.
    shows_saved = not is_new and request.method != "POST"
    ratings = dict(instance.ratings.values_list("symptom_id", "severity")) if shows_saved else {}
    form = DailyEntryForm(
        # An untouched form still posts (and records the day as logged).
        request.POST if request.method == "POST" else None,
        instance=instance,
        symptoms=entries.symptoms_for_log(patient),
        ratings=ratings,
    )
    if request.method == "POST":
        if form.is_valid():
            try:
                saved = entries.save_entry(form.save(commit=False), form.severities())
            except IntegrityError:
                # The same day was saved a moment ago (another tab): show that entry.
                messages.info(request, "This day was just saved elsewhere; here it is.")
                return redirect("journal:entry", day=day)
            if saved.self_harm_thoughts:
                # The support page says who was told about this alert.
                return redirect(safety.after_entry(saved))
            messages.success(request, f"Saved your log for {_day_name(patient, day)}.")
            return redirect("prep:patient_home")
        status = 400
    else:
        status = 200
    first, last = entries.loggable_days(patient)
    return render(
        request,
        "journal/entry.html",
        {
            "form": form,
            "day": day,
            "day_name": _day_name(patient, day),
            "is_new": is_new,
            "earlier_days": _earlier_days(first, last),
            "nobody_to_tell": safety.nobody_to_tell(patient),
        },
        status=status,
    )


def _day_name(patient, day: date) -> str:
    delta = (patient.today() - day).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "yesterday"
    return f"{day:%A} {day.day} {day:%B}"


def _earlier_days(first: date, last: date) -> list[date]:
    return [date.fromordinal(n) for n in range(last.toordinal(), first.toordinal() - 1, -1)]


def _read_only_day(request, day: date):
    """A day before the editing window: shown as it was saved, with no form. A POST
    (a form left open past the window) changes nothing."""
    patient = request.user
    saved = DailyEntry.objects.filter(patient=patient, day=day).first()
    # By name in Python: names are encrypted.
    ratings = (
        sorted(saved.ratings.select_related("symptom"), key=lambda rating: rating.symptom.name)
        if saved
        else []
    )
    refused = request.method == "POST"
    if refused:
        messages.error(request, "Days more than a week ago can be read but no longer changed.")
    return render(
        request,
        "journal/day.html",
        {"entry": saved, "ratings": ratings, "day": day, "day_name": _day_name(patient, day)},
        status=400 if refused else 200,
    )


@require_POST
@patient_required
@one_submission
def quick_mood(request):
    """Today's mood in one tap from the home page; the rest can be added later. The
    form names the day it showed, so a tap just after midnight still lands on it."""
    patient = request.user
    form = QuickMoodForm(request.POST)
    if not form.is_valid() or not entries.can_log(patient, form.cleaned_data["day"]):
        messages.error(request, "That mood couldn’t be saved. Please choose it again.")
        return redirect("prep:patient_home")
    day, mood = form.cleaned_data["day"], form.cleaned_data["mood"]
    entries.save_mood(patient, day, mood)
    messages.success(request, f"Saved: mood {mood} for {_day_name(patient, day)}.")
    return redirect("prep:patient_home")


@require_safe
def offline(request):
    """The daily log's offline shell, which the service worker keeps on the phone: the
    questions every log has and nothing of the person's (it is the same page for
    anyone, signed in or not, and is fetched without cookies: static/js/sw.js)."""
    return render(
        request,
        "journal/offline.html",
        {"form": DailyEntryForm(symptoms=[], ratings={}), "backfill_days": entries.BACKFILL_DAYS},
    )


@patient_required
@one_submission
def sync(request):
    """Where a phone sends an entry it queued offline (static/js/offline.js). A GET
    gives the page a CSRF token (the cached shell has none, and the cookie is
    HttpOnly). A POST carries the entry's one-time token, so sending it again after
    a lost answer never adds it twice: it is sent to the same result."""
    if request.method == "GET":
        return JsonResponse({"csrf_token": get_token(request)})
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    form = offline_entries.QueuedEntryForm(
        request.POST, symptoms=Symptom.objects.active().filter(patient=request.user)
    )
    if not form.is_valid():
        return _refused(
            form.errors.get_json_data(), "This entry couldn’t be read, so it wasn’t saved."
        )
    day = form.cleaned_data["day"]
    if not entries.can_log(request.user, day):
        message = (
            "A day still to come can’t be logged."
            if day > request.user.today()
            else "Days more than a week ago can be read but no longer changed."
        )
        return _refused({"day": [{"message": message}]}, message)
    try:
        outcome = offline_entries.apply(request.user, form.cleaned_data, form.severities())
    except IntegrityError:
        # The same day was created a moment ago by another device: send again later.
        return JsonResponse({"status": "retry"}, status=409)
    query = {"result": outcome.result}
    if outcome.other_edit_at:
        query["other"] = outcome.other_edit_at.isoformat()
    if form.cleaned_data["self_harm_thoughts"]:
        query["harm"] = "1"
    return redirect(f"{reverse('journal:sync_done', args=[day])}?{urlencode(query)}")


def _refused(errors: dict, message: str):
    return JsonResponse({"status": "refused", "message": message, "errors": errors}, status=400)


@require_safe
@patient_required
def sync_done(request, day: date):
    """What became of a synced entry, in words for the page that sent it. A replayed
    entry lands here too, with the same words."""
    patient = request.user
    # "You had already sent this" was meant for this answer, not the next page.
    for _ in messages.get_messages(request):
        pass
    day_name = _day_name(patient, day)
    result = request.GET.get("result")
    try:
        other = timezone.localtime(datetime.fromisoformat(request.GET.get("other", "")))
        other_words = f"{other:%H:%M} on {other:%A} {other.day} {other:%B}"
    except ValueError:
        other_words = "another time"
    body = {"status": "sent", "day": day.isoformat()}
    body["message"] = f"Your log for {day_name} is saved."
    if result == "kept_this":
        body["conflict"] = (
            f"This day was also changed on another device at {other_words}; the later one, "
            "from this phone, was kept."
        )
    elif result == "kept_other":
        body["conflict"] = (
            f"This day was also changed on another device at {other_words}; the later one "
            f"was kept, so what this phone saved for {day_name} was not added."
        )
    if request.GET.get("harm"):
        entry = DailyEntry.objects.filter(patient=patient, day=day).first()
        if entry is not None:
            body["support_url"] = safety.after_entry(entry)
    return JsonResponse(body)


@require_safe
def support(request):
    """The "Need help now" page: crisis resources for anyone, signed in or not (the
    sign-in page links here). Opening it writes nothing and tells nobody. After a safety
    answer the link names the patient's alert, and the page says who was told."""
    return render(
        request,
        "journal/support.html",
        {
            "resources": safety.crisis_resources(),
            "report": safety.report_for(request.user, request.GET.get("alert")),
        },
    )


@patient_required
def symptoms(request):
    patient = request.user
    form = SymptomForm(request.POST or None, patient=patient)
    if request.method == "POST" and form.is_valid():
        symptom = form.save(commit=False)
        symptom.patient = patient
        symptom.save()
        messages.success(request, "Added to your daily log.")
        return redirect("journal:symptoms")
    return render(
        request,
        "journal/symptoms.html",
        {
            "form": form,
            "active": by_name(Symptom.objects.active().filter(patient=patient)),
            "retired": by_name(Symptom.objects.filter(patient=patient, retired_at__isnull=False)),
        },
        status=400 if form.errors else 200,
    )


def _own_symptom(request, symptom_id: int) -> Symptom:
    return get_object_or_404(Symptom, pk=symptom_id, patient=request.user)


@require_POST
@patient_required
def rename_symptom(request, symptom_id: int):
    symptom = _own_symptom(request, symptom_id)
    form = SymptomForm(request.POST, instance=symptom, patient=request.user)
    if form.is_valid():
        form.save()
        messages.success(request, "Renamed. Past ratings keep their history.")
    else:
        messages.error(request, " ".join(form.errors.get("name", ["That name can’t be used."])))
    return redirect("journal:symptoms")


@require_POST
@patient_required
def retire_symptom(request, symptom_id: int):
    symptom = _own_symptom(request, symptom_id)
    symptom.retired_at = symptom.retired_at or timezone.now()
    symptom.save(update_fields=["retired_at"])
    messages.success(request, "Removed from your daily log; its history stays.")
    return redirect("journal:symptoms")


@require_POST
@patient_required
def restore_symptom(request, symptom_id: int):
    symptom = _own_symptom(request, symptom_id)
    if Symptom.objects.active().filter(patient=request.user).named(symptom.name).exists():
        messages.error(request, "You already track a symptom with that name.")
    else:
        symptom.retired_at = None
        symptom.save(update_fields=["retired_at"])
        messages.success(request, "Back on your daily log.")
    return redirect("journal:symptoms")


@patient_required
def parked_topics(request):
    form = ParkedTopicForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        topic = form.save(commit=False)
        topic.patient = request.user
        topic.save()
        messages.success(request, "Parked. It stays here until you are ready.")
        return redirect("journal:parked_topics")
    return render(
        request,
        "journal/parked_topics.html",
        {
            "form": form,
            "topics": ParkedTopic.objects.filter(patient=request.user),
            "nobody_to_tell": safety.nobody_to_tell(request.user),
        },
        status=400 if form.errors else 200,
    )


@require_POST
@patient_required
def parked_topic_visibility(request, topic_id: int):
    # One UPDATE: a topic deleted in another tab a moment ago is a 404, not a failed save.
    changed = ParkedTopic.objects.filter(pk=topic_id, patient=request.user).update(
        show_title_in_summary=request.POST.get("show") == "1"
    )
    if not changed:
        raise Http404
    return redirect("journal:parked_topics")


@require_POST
@patient_required
def delete_parked_topic(request, topic_id: int):
    get_object_or_404(ParkedTopic, pk=topic_id, patient=request.user).delete()
    messages.success(request, "Removed.")
    return redirect("journal:parked_topics")


EARLIEST_CALENDAR_MONTH = date(2020, 1, 1)


@patient_required
def calendar_view(request):
    patient = request.user
    today_local = patient.today()
    this_month = today_local.replace(day=1)
    try:
        year, month = (int(part) for part in request.GET.get("month", "").split("-"))
        shown = date(year, month, 1)
    except (ValueError, OverflowError):
        shown = this_month
    # Nothing is logged in the future or before the app existed; clamping also keeps
    # the month arithmetic below inside the calendar's range.
    shown = min(max(shown, EARLIEST_CALENDAR_MONTH), this_month)
    previous = (shown.replace(day=1) - timedelta(days=1)).replace(day=1)
    following = (shown.replace(day=28) + timedelta(days=4)).replace(day=1)
    return render(
        request,
        "journal/calendar.html",
        {
            "weeks": history.month_calendar(
                patient, shown.year, shown.month, entries.loggable_days(patient)
            ),
            "shown": shown,
            "previous": previous,
            "following": following if following <= this_month else None,
            "earliest": shown == EARLIEST_CALENDAR_MONTH,
            "today": today_local,
            "mood_levels": history.MOOD_LEVELS,
        },
    )


@patient_required
def trends(request):
    try:
        weeks = int(request.GET.get("weeks", 4))
    except ValueError:
        weeks = 4
    if weeks not in history.TREND_WEEKS:
        weeks = 4
    return render(
        request,
        "journal/trends.html",
        {
            "trends": history.trends(request.user, weeks),
            "weeks": weeks,
            "choices": history.TREND_WEEKS,
        },
    )


@patient_required
def measure_list(request):
    patient = request.user
    responses = list(MeasureResponse.objects.filter(patient=patient).order_by("taken_at"))
    return render(
        request,
        "journal/measure_list.html",
        {
            "history": measures.history(responses, patient.zone),
            "due": measures.next_due(patient),
            "today": patient.today(),
            "notice": measures.NOTICE,
        },
    )


@patient_required
@one_submission
def measure_new(request, kind: str):
    questionnaire = measures.QUESTIONNAIRES.get(kind)
    if questionnaire is None:
        raise Http404
    form = MeasureForm(request.POST or None, questionnaire=questionnaire)
    if request.method == "POST" and form.is_valid():
        response = measures.record(
            request.user, questionnaire, form.answers(), form.cleaned_data["difficulty"]
        )
        if measures.reports_self_harm(response):
            return redirect(safety.after_measure(response))
        return redirect("journal:measure_detail", response_id=response.pk)
    return render(
        request,
        "journal/measure_form.html",
        {"form": form, "questionnaire": questionnaire, "notice": measures.NOTICE},
        status=400 if form.errors else 200,
    )


@patient_required
def measure_detail(request, response_id: int):
    response = get_object_or_404(MeasureResponse, pk=response_id, patient=request.user)
    questionnaire = measures.QUESTIONNAIRES[response.kind]
    previous = (
        MeasureResponse.objects.filter(
            patient=request.user, kind=response.kind, taken_at__lt=response.taken_at
        )
        .order_by("-taken_at")
        .values_list("total", flat=True)
        .first()
    )
    return render(
        request,
        "journal/measure_detail.html",
        {
            "response": response,
            "questionnaire": questionnaire,
            "change": measures.change(questionnaire, previous, response.total),
            "notice": measures.NOTICE,
        },
    )


@therapist_required
def measure_plan(request, patient_id: int):
    patient = get_patient_for_therapist(request.user, patient_id)
    audit.record(request.user, patient, audit.Kind.MEASURE_PLAN)
    plan = MeasurePlan.objects.filter(patient=patient).first() or MeasurePlan(patient=patient)
    form = MeasurePlanForm(request.POST or None, instance=plan)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Questionnaire schedule saved.")
        return redirect("prep:patient_detail", patient_id=patient.pk)
    return render(
        request,
        "journal/measure_plan.html",
        {"form": form, "patient": patient},
        status=400 if form.errors else 200,
    )


def _alert_for_therapist(therapist, alert_id: int) -> SafetyAlert:
    """An alert about a patient in this therapist's care now; 404 for anyone else."""
    return get_object_or_404(
        safety.alerts_for(therapist).select_related("patient", "acknowledged_by"), pk=alert_id
    )


@therapist_required
@one_submission
def safety_alert(request, alert_id: int):
    """The alert, how to reach the patient, and what was done: each report of a
    contact is one record."""
    alert = _alert_for_therapist(request.user, alert_id)
    form = SafetyContactForm(request.POST or None, alert=alert)
    if request.method == "POST" and form.is_valid():
        safety.record_contact(
            alert, request.user, form.cleaned_data["contacted_at"], form.cleaned_data["note"]
        )
        messages.success(request, "Recorded. Thank you for reaching out.")
        return redirect("journal:safety_alert", alert_id=alert.pk)
    audit.record(request.user, alert.patient, audit.Kind.SAFETY_ALERT, alert.pk)
    return render(
        request,
        "journal/safety_alert.html",
        {
            "alert": alert,
            "patient": alert.patient,
            "reach": safety.how_to_reach(alert.patient),
            "contacts": alert.contacts.select_related("therapist"),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@require_POST
@therapist_required
def acknowledge_alert(request, alert_id: int):
    alert = _alert_for_therapist(request.user, alert_id)
    safety.acknowledge(alert, by=request.user)
    messages.success(request, f"Marked as seen. Please check in with {alert.patient.display_name}.")
    return redirect("prep:therapist_dashboard")
