"""The two home pages, session lists with their summaries, the pre-session summary
(reviewed by the patient, read by the therapist), goals, homework and the agenda.
The rules live in summaries.py and plans.py; these views fetch, check and render."""

from functools import cache, wraps
from urllib.parse import urlsplit

from allauth.account.decorators import reauthentication_required
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts import audit
from accounts.access import (
    cared_for_by,
    get_care_link_for_therapist,
    get_patient_for_therapist,
    patient_required,
    role_required,
    therapist_required,
    therapists_of,
)
from accounts.models import Invitation, User
from appointments import booking
from appointments.models import Appointment
from core.submissions import one_submission
from feedback import alerts as alliance
from feedback import records as feedback_records
from journal import entries, measures, safety
from journal.models import DailyEntry

from . import caseload, dashboard, linking, plans, privacy, review, summaries
from .forms import (
    AgendaItemForm,
    AgendaLineForm,
    BringHistoryForm,
    GoalCommentForm,
    GoalForm,
    GoalStatusForm,
    HomeworkForm,
)
from .models import AgendaItem, Goal, Homework, PrepPreference, PreSessionSummary


@patient_required
def patient_home(request):
    patient = request.user
    today = patient.today()
    return render(
        request,
        "prep/patient_home.html",
        {
            "today": today,
            "todays_entry": DailyEntry.objects.filter(patient=patient, day=today)
            .only("pk", "mood")
            .first(),
            "mood_scale": range(11),
            "measures_due": measures.next_due(patient),
            "next_session": Appointment.objects.booked()
            .filter(patient=patient, starts_at__gte=timezone.now())
            .select_related("therapist")
            .first(),
            "therapists": therapists_of(patient).order_by("last_name", "first_name"),
            "feedback_due": list(feedback_records.due_for(patient)),
            "history_questions": list(linking.links_to_ask_about(patient)),
        },
    )


@patient_required
@one_submission
def link_history(request, therapist_id: int):
    """After joining a therapist's care: do any of the sessions the patient kept on
    their own come into it? Asked once per link (prep/linking.py holds the rules)."""
    link = linking.link_of_patient(request.user, therapist_id)
    therapist = link.therapist.display_name
    if link.history_decided_at is not None:
        if request.method == "POST":
            messages.info(request, "You had already answered this, so nothing changed.")
            return redirect("prep:patient_home")
        return render(request, "prep/link_history_answered.html", {"link": link})
    if not linking.is_waiting(link):
        return redirect("prep:patient_home")
    groups = linking.groups_for(request.user)
    form = BringHistoryForm(
        request.POST if request.method == "POST" else None,
        groups=groups,
        therapist_name=therapist,
    )
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["answer"] == form.KEEP:
            if linking.keep(link):
                messages.success(request, "Nothing moved. Your own sessions stay private to you.")
            return redirect("prep:patient_home")
        moved = linking.bring(link, set(form.cleaned_data["groups"]))
        if moved is not None:
            messages.success(request, _moved_message(moved, therapist))
        return redirect("prep:patient_home")
    return render(
        request,
        "prep/link_history.html",
        {
            "link": link,
            "groups": groups,
            "form": form,
            "ticked": form.data.getlist("groups") if form.is_bound else [],
        },
        status=400 if form.errors else 200,
    )


def _moved_message(moved: linking.Moved, therapist: str) -> str:
    plural = "" if moved.sessions == 1 else "s"
    words = f"Moved {moved.sessions} session{plural} into your care with {therapist}"
    if moved.to_come:
        words += f" ({moved.to_come} still to come)"
    words += "."
    if moved.series_ended:
        words += f" Your repeating sessions have ended here; {therapist} books the next ones."
    return words


# How many patients' weeks the dashboard shows at once; the rest are on later pages.
GLANCES_PER_PAGE = 25
# Alerts and unrecorded sessions shown at once; a long backlog says how many more.
DASHBOARD_ROWS = 10


@therapist_required
def therapist_dashboard(request):
    """Today first, then what needs attention, then the rest of the week and each
    patient's week at a glance; a fixed number of queries at any caseload. The rows
    are written out by prep/dashboard.py; only the columns they show are read."""
    therapist = request.user
    patients = caseload.patients_page(therapist, request.GET.get("page"), GLANCES_PER_PAGE)
    names = [f"patient__{column}" for column in caseload.PATIENT_COLUMNS]
    safety_alerts = list(
        safety.open_alerts_for(therapist).only(
            "patient", "source", "created_at", "patient__phone", *names
        )[: DASHBOARD_ROWS + 1]
    )
    alliance_alerts = list(
        alliance.open_alerts_for(therapist).only(
            "reasons",
            "feedback__session_at",
            "feedback__patient",
            *(f"feedback__{name}" for name in names),
        )[: DASHBOARD_ROWS + 1]
    )
    needs_attendance = list(
        booking.needing_attendance(therapist).only("patient", "starts_at", *names)[
            : DASHBOARD_ROWS + 1
        ]
    )
    return render(
        request,
        "prep/therapist_dashboard.html",
        {
            "today": timezone.localdate(timezone=therapist.zone),
            "week": dashboard.week_rows(caseload.week_of(therapist)),
            "safety_alerts": dashboard.safety_rows(
                (alert, safety.how_to_reach(alert.patient))
                for alert in safety_alerts[:DASHBOARD_ROWS]
            ),
            "more_safety_alerts": len(safety_alerts) > DASHBOARD_ROWS,
            "alliance_alerts": dashboard.alliance_rows(alliance_alerts[:DASHBOARD_ROWS]),
            "more_alliance_alerts": len(alliance_alerts) > DASHBOARD_ROWS,
            "needs_attendance": dashboard.attendance_rows(needs_attendance[:DASHBOARD_ROWS]),
            "more_needing_attendance": len(needs_attendance) > DASHBOARD_ROWS,
            "outcome_options": dashboard.outcome_options(),
            "glances": dashboard.glance_rows(
                caseload.glances(therapist, list(patients)), caseload.WEEK_DAYS
            ),
            "patients": patients,
            "week_days": caseload.WEEK_DAYS,
            "pending_invitations": Invitation.objects.filter(
                therapist=therapist, accepted_at=None, revoked_at=None
            ).count(),
        },
    )


@therapist_required
def patient_detail(request, patient_id: int):
    """One patient, for their therapist: sessions, scores, shared summaries, the
    feedback they share, goals and safety alerts, each with a link to the whole."""
    link = get_care_link_for_therapist(request.user, patient_id)
    patient = link.patient
    audit.record(request.user, patient, audit.Kind.PATIENT_PAGE)
    return render(
        request,
        "prep/patient_detail.html",
        {
            "patient": patient,
            "link": link,
            "record": caseload.patient_record(request.user, patient),
            "week_days": caseload.WEEK_DAYS,
        },
    )


def _therapists_appointment(request, appointment_id: int) -> Appointment:
    return get_object_or_404(
        Appointment.objects.of_therapist(request.user).select_related("patient", "therapist"),
        pk=appointment_id,
    )


def _patients_appointment(request, appointment_id: int) -> Appointment:
    return get_object_or_404(
        Appointment.objects.select_related("patient", "therapist"),
        pk=appointment_id,
        patient=request.user,
    )


SESSIONS_PER_PAGE = 50


@therapist_required
def appointment_list(request):
    """Every session, paginated: those still to come soonest first, or (`?show=past`)
    those that have started, latest first; `?patient=` narrows to one patient."""
    therapist = request.user
    past = request.GET.get("show") == "past"
    patient = None
    sessions = Appointment.objects.of_therapist(therapist)
    if request.GET.get("patient"):
        patient = get_patient_for_therapist(therapist, _id_or_404(request.GET["patient"]))
        sessions = sessions.filter(patient=patient)
    now = timezone.now()
    if past:
        sessions = sessions.filter(starts_at__lt=now).order_by("-starts_at", "-pk")
    else:
        sessions = sessions.filter(starts_at__gte=now).order_by("starts_at", "pk")
    page = Paginator(
        caseload.with_summary_status(sessions.select_related("patient")), SESSIONS_PER_PAGE
    ).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "prep/appointment_list.html",
        {
            "page": page,
            "past": past,
            "patient": patient,
            "query": query.urlencode(),
            "former_sessions": [] if patient else privacy.former_patient_sessions(therapist)[:200],
        },
    )


def _id_or_404(value: str) -> int:
    # Digits only, no longer than a 64-bit id ("²" is a digit to isdigit()).
    if not (value.isascii() and value.isdigit() and len(value) <= 18):
        raise Http404
    return int(value)


@patient_required
def session_list(request):
    sessions = list(
        Appointment.objects.filter(patient=request.user)
        .select_related("therapist", "series")
        .order_by("-starts_at")[:100]
    )
    now = timezone.now()
    return render(
        request,
        "prep/session_list.html",
        {
            "upcoming": sorted(
                (s for s in sessions if s.starts_at >= now and not s.is_cancelled),
                key=lambda s: s.starts_at,
            ),
            "past": [s for s in sessions if s.starts_at < now or s.is_cancelled],
        },
    )


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _htmx_signs_in_the_whole_page(view):
    """An htmx request whose session has ended is sent, page and all, to sign-in;
    otherwise htmx would follow the redirect and put the sign-in form inside the
    daily log."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if _is_htmx(request) and not request.user.is_authenticated:
            # Back to the page the person was on, not to the fragment.
            came_from = urlsplit(request.headers.get("HX-Current-URL", "")).path or "/"
            response = HttpResponse(status=204)
            response["HX-Redirect"] = redirect_to_login(came_from).url
            return response
        return view(request, *args, **kwargs)

    return wrapped


@patient_required
def summary_review(request, appointment_id: int):
    appointment = get_object_or_404(
        Appointment.objects.select_related("patient", "therapist").annotate(
            patient_shares_automatically=Exists(
                PrepPreference.objects.filter(patient=OuterRef("patient"), share_automatically=True)
            )
        ),
        pk=appointment_id,
        patient=request.user,
    )
    # Numbers and times only: a shared version's snapshot is not opened to list it.
    draft, shared = summaries.draft_and_shared(appointment)
    # Who opened it: the access log's rows about these versions, as values (no model
    # objects, nothing else of the viewer).
    version_of = {str(summary.pk): summary.version for summary in shared}
    openings = (
        audit.for_patient(request.user)
        .filter(kind=audit.Kind.SUMMARY, object_id__in=list(version_of))
        .values_list(*review.OPENING_FIELDS)[:50]
    )
    context = {
        "appointment": appointment,
        "draft": draft,
        "shared_versions": review.version_rows(appointment, shared),
        "openings": review.opening_lines(openings, appointment.therapist, version_of),
        "agenda_form": _blank_agenda_form(),
        "share_automatically": appointment.patient_shares_automatically,
    }
    if draft:
        context.update(_review(draft, summaries.review_snapshot(appointment, draft)))
    return render(request, "prep/summary_review.html", context)


@cache
def _blank_agenda_form() -> str:
    """The review page's add-to-agenda form as crispy draws it, empty: the same on
    every page (a refused line is reported by a message), so drawn once a process."""
    return as_crispy_form(AgendaLineForm())


def _review(draft: PreSessionSummary, snapshot: dict) -> dict:
    """The review form's boxes, and the summary as the choices saved in `draft`
    leave it: the preview is what sharing would send, never the ticks on screen."""
    preview = summaries.visible(snapshot, draft.hidden, draft.included_thoughts)
    return {
        "sections": review.boxes(snapshot, draft.hidden, draft.included_thoughts),
        "preview": preview,
        "display": summaries.display(preview),
    }


@patient_required
def summary_print(request, appointment_id: int):
    """What sharing would send, on a page of its own to print: no form on it."""
    appointment = _patients_appointment(request, appointment_id)
    draft = summaries.draft_for(appointment)
    context = {"appointment": appointment, "draft": draft}
    if draft:
        context.update(_review(draft, summaries.review_snapshot(appointment, draft)))
    return render(request, "prep/summary_print.html", context)


@require_POST
@patient_required
def summary_generate(request, appointment_id: int):
    appointment = _patients_appointment(request, appointment_id)
    if appointment.is_cancelled:
        raise Http404
    summaries.generate_draft(appointment)
    messages.success(request, "Your summary is up to date with your journal.")
    return redirect("prep:summary_review", appointment_id=appointment.pk)


@require_POST
@_htmx_signs_in_the_whole_page
@patient_required
def summary_choices(request, appointment_id: int):
    """Save the ticks (and share, if asked). htmx sends every change as it happens
    and gets the new preview back; without JavaScript, Save or Share posts the form
    and the page is drawn again."""
    appointment = _patients_appointment(request, appointment_id)
    if summaries.draft_for(appointment) is None:
        raise Http404
    # The page showed the summary as it is now: choices apply to that, not to an
    # older draft (an item added since must be hideable too).
    draft = summaries.refresh_draft(appointment)
    sections_before = {key for key in draft.hidden if key.startswith("section:")}
    # An entry's id: digits, no more than a 64-bit id holds (int() refuses 4,300+).
    thoughts = {
        int(v)
        for v in request.POST.getlist("thought")
        if v.isascii() and v.isdigit() and len(v) <= 19
    }
    offered = set(request.POST.getlist("offered")) if "offered" in request.POST else None
    review.choose(draft, set(request.POST.getlist("show")), thoughts, offered)
    if request.POST.get("action") == "share" and appointment.is_own:
        # Nobody on the app to share with: the patient freezes a version to send
        # themselves (prep/sharing.py), by the same path and with the same redaction.
        version = summaries.share(appointment)
        messages.success(
            request,
            f"Frozen as version {version.version}. Nobody on Between Sessions receives it: "
            "make a link to send, download the PDF or print it.",
        )
        return redirect(
            "prep:summary_links", appointment_id=appointment.pk, version=version.version
        )
    elif request.POST.get("action") == "share":
        version = summaries.share(appointment)
        messages.success(
            request,
            f"Shared with {appointment.therapist.display_name} (version {version.version}).",
        )
    elif _is_htmx(request):
        context = _review(draft, draft.snapshot)
        sections_after = {key for key in draft.hidden if key.startswith("section:")}
        return render(
            request,
            "prep/_summary_review_update.html",
            {
                **context,
                "appointment": appointment,
                # Redraw the boxes a section's tick enabled or disabled; all of them
                # if the summary gained or lost something since the page was drawn.
                "redraw_all": offered is not None
                and offered != review.offered(context["sections"]),
                "redraw": {
                    key.removeprefix("section:") for key in sections_before ^ sections_after
                },
            },
        )
    else:
        messages.success(request, "Saved your choices. Nothing has been shared yet.")
    return redirect("prep:summary_review", appointment_id=appointment.pk)


@require_POST
@patient_required
@one_submission
def summary_add_agenda(request, appointment_id: int):
    appointment = _patients_appointment(request, appointment_id)
    form = AgendaLineForm(request.POST)
    if form.is_valid():
        item = form.save(commit=False)
        item.patient = request.user
        item.save()
        if summaries.draft_for(appointment):
            summaries.generate_draft(appointment)
        messages.success(request, "Added to your agenda.")
    else:
        messages.error(request, "Write a few words to add (up to 500 characters).")
    return redirect("prep:summary_review", appointment_id=appointment.pk)


@require_POST
@patient_required
def share_automatically(request):
    preference, _ = PrepPreference.objects.get_or_create(patient=request.user)
    preference.share_automatically = request.POST.get("on") == "1"
    preference.save(update_fields=["share_automatically"])
    messages.success(
        request,
        "Summaries will be shared automatically."
        if preference.share_automatically
        else "You’ll review each summary before it is shared.",
    )
    return redirect("prep:session_list")


@therapist_required
def summary_read(request, appointment_id: int):
    appointment = _therapists_appointment(request, appointment_id)
    summary = summaries.latest_shared(appointment)
    if summary is not None:
        audit.record(request.user, appointment.patient, audit.Kind.SUMMARY, summary.pk)
    return render(
        request,
        "prep/summary_read.html",
        {
            "appointment": appointment,
            "summary": summary,
            "preview": summary.snapshot if summary else None,
            "display": summaries.display(summary.snapshot) if summary else {},
        },
    )


# Goals, homework and the agenda ------------------------------------------------

patient_or_therapist_required = role_required(User.Role.PATIENT, User.Role.THERAPIST)


# Every object taken from a URL comes through one of these: 404 for anyone else.


def _goal_for(user: User, goal_id: int) -> Goal:
    """The patient's own goal, or a goal of a patient this therapist actively cares for."""
    goals = Goal.objects.select_related("patient")
    if user.is_patient:
        return get_object_or_404(goals, pk=goal_id, patient=user)
    return get_object_or_404(
        goals, cared_for_by(user, "patient"), pk=goal_id, patient__role=User.Role.PATIENT
    )


def _own_homework(patient: User, homework_id: int) -> Homework:
    return get_object_or_404(Homework, pk=homework_id, patient=patient)


def _own_agenda_item(patient: User, item_id: int) -> AgendaItem:
    return get_object_or_404(AgendaItem, pk=item_id, patient=patient)


def _requested_done(request, when_absent: bool) -> bool | None:
    """`done=1` or `done=0` sets the state, so a repeated click changes nothing;
    without a value the state becomes `when_absent`; anything else is None, a bad
    request."""
    value = request.POST.get("done")
    if value is None:
        return when_absent
    return {"1": True, "0": False}.get(value)


# The patient's side


@patient_required
def goals(request):
    return _render_goals(request)


def _render_goals(request, *, failed_comment=None, status=200):
    open_homework, done_homework = plans.homework_for(request.user)
    return render(
        request,
        "prep/plan/goals.html",
        {
            "goals": plans.goals_for(request.user),
            "open_homework": open_homework,
            "done_homework": done_homework,
            "failed_comment": failed_comment,
        },
        status=status,
    )


@_htmx_signs_in_the_whole_page
@patient_required
def homework_checklist(request):
    return _render_checklist(request)


def _render_checklist(request, *, just_done: Homework | None = None, status=200):
    return render(
        request,
        "prep/plan/homework_checklist.html",
        {"open_homework": plans.open_homework(request.user), "just_done": just_done},
        status=status,
    )


@require_POST
@_htmx_signs_in_the_whole_page
@patient_required
def toggle_homework(request, homework_id: int):
    homework = _own_homework(request.user, homework_id)
    done = _requested_done(request, when_absent=homework.done_at is None)
    if done is None:
        if _is_htmx(request):
            return HttpResponse(status=400)
        messages.error(request, "That didn’t work. Please tick the box again.")
        return _render_goals(request, status=400)
    plans.set_homework_done(homework, done)
    if _is_htmx(request):
        # Keep a just-ticked item on screen, ticked, so a slip can be undone.
        return _render_checklist(request, just_done=homework if done else None)
    messages.success(request, "Well done." if done else "Marked as not done yet.")
    return redirect(f"{reverse('prep:goals')}#homework")


@require_POST
@patient_or_therapist_required
def comment_on_goal(request, goal_id: int):
    goal = _goal_for(request.user, goal_id)
    form = GoalCommentForm(request.POST)
    if form.is_valid():
        comment = form.save(commit=False)
        comment.goal = goal
        comment.author = request.user
        comment.save()
        messages.success(request, "Comment added.")
        if request.user.is_patient:
            return redirect(f"{reverse('prep:goals')}#goal-{goal.pk}")
        return redirect(f"{reverse('prep:patient_plan', args=[goal.patient_id])}#goal-{goal.pk}")
    failed_comment = {"goal_id": goal.pk, "form": form}
    if request.user.is_patient:
        return _render_goals(request, failed_comment=failed_comment, status=400)
    return _render_plan(request, goal.patient, failed_comment=failed_comment, status=400)


@patient_required
@one_submission
def agenda(request):
    form = AgendaItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        item = form.save(commit=False)
        item.patient = request.user
        item.save()
        messages.success(request, "Added to your list for next session.")
        return redirect("prep:agenda")
    return _render_agenda(request, form, status=400 if form.errors else 200)


def _render_agenda(request, form, *, status=200):
    patient = request.user
    open_items, done_items = plans.agenda_for(patient)
    since, session = plans.period_start(patient)
    first, last = entries.loggable_days(patient)
    return render(
        request,
        "prep/plan/agenda.html",
        {
            "form": form,
            "open_items": open_items,
            "done_items": done_items,
            "since": since,
            "session": session,
            "default_days": plans.DEFAULT_PERIOD_DAYS,
            # Each flagged entry, and whether its day can still be opened and edited.
            "flagged": [
                (entry, first <= entry.day <= last)
                for entry in plans.flagged_entries_since(patient, since)
            ],
        },
        status=status,
    )


@require_POST
@patient_required
def agenda_done(request, item_id: int):
    item = _own_agenda_item(request.user, item_id)
    done = _requested_done(request, when_absent=True)
    if done is None:
        messages.error(request, "That didn’t work. Please try again.")
        return _render_agenda(request, AgendaItemForm(), status=400)
    if not plans.set_agenda_item_done(item, done):
        raise Http404  # removed in another tab a moment ago
    messages.success(request, "Marked as talked about." if done else "Back on your list.")
    return redirect("prep:agenda")


@require_POST
@patient_required
def agenda_delete(request, item_id: int):
    _own_agenda_item(request.user, item_id).delete()
    messages.success(request, "Removed.")
    return redirect("prep:agenda")


# The therapist's side


@therapist_required
def patient_plan(request, patient_id: int):
    patient = get_patient_for_therapist(request.user, patient_id)
    audit.record(request.user, patient, audit.Kind.PLAN)
    return _render_plan(request, patient)


def _render_plan(
    request, patient, *, goal_form=None, homework_form=None, failed_comment=None, status=200
):
    open_homework, done_homework = plans.homework_for(patient)
    return render(
        request,
        "prep/plan/patient_plan.html",
        {
            "patient": patient,
            "goals": plans.goals_for(patient),
            "open_homework": open_homework,
            "done_homework": done_homework,
            "statuses": Goal.Status.choices,
            "goal_form": goal_form or GoalForm(),
            "homework_form": homework_form or HomeworkForm(therapist=request.user, patient=patient),
            "failed_comment": failed_comment,
        },
        status=status,
    )


@require_POST
@therapist_required
def add_goal(request, patient_id: int):
    patient = get_patient_for_therapist(request.user, patient_id)
    form = GoalForm(request.POST)
    if not form.is_valid():
        return _render_plan(request, patient, goal_form=form, status=400)
    goal = form.save(commit=False)
    goal.patient = patient
    goal.created_by = request.user
    goal.save()
    messages.success(request, f"Goal added. {patient.first_name or 'Your patient'} can see it now.")
    return redirect(f"{reverse('prep:patient_plan', args=[patient.pk])}#goal-{goal.pk}")


@require_POST
@therapist_required
def goal_status(request, goal_id: int):
    goal = _goal_for(request.user, goal_id)
    form = GoalStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the listed statuses.")
        return _render_plan(request, goal.patient, status=400)
    goal.status = form.cleaned_data["status"]
    goal.save(update_fields=["status", "updated_at"])
    messages.success(request, f"Status changed to “{goal.get_status_display()}”.")
    return redirect(f"{reverse('prep:patient_plan', args=[goal.patient_id])}#goal-{goal.pk}")


@require_POST
@therapist_required
def add_homework(request, patient_id: int):
    patient = get_patient_for_therapist(request.user, patient_id)
    form = HomeworkForm(request.POST, therapist=request.user, patient=patient)
    if not form.is_valid():
        return _render_plan(request, patient, homework_form=form, status=400)
    homework = form.save(commit=False)
    homework.patient = patient
    homework.set_by = request.user
    homework.save()
    messages.success(
        request, f"Homework set. {patient.first_name or 'Your patient'} can tick it off."
    )
    return redirect(f"{reverse('prep:patient_plan', args=[patient.pk])}#homework")


# A patient's rights: a copy of everything, and deleting the account --------------


@require_http_methods(["GET", "HEAD", "POST"])
@patient_required
def my_data(request):
    """The page offers the download; only its POST builds the zip (reading, never
    writing)."""
    if request.method != "POST":
        return render(request, "prep/rights/my_data.html")
    response = HttpResponse(privacy.export_zip(request.user), content_type="application/zip")
    filename = privacy.export_filename(request.user)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@patient_required
@reauthentication_required(enabled=lambda request: request.method == "POST")
def delete_account(request):
    """The page says what goes and what stays. Its POST asks for the password again
    (allauth keeps the POST and replays it once the password is right), then erases
    and signs the person out."""
    if request.method != "POST":
        return render(request, "prep/rights/delete_account.html", privacy.what_goes(request.user))
    privacy.erase(request.user)
    logout(request)
    return redirect("prep:account_deleted")


@require_http_methods(["GET", "HEAD"])
def account_deleted(request):
    if request.user.is_authenticated:
        return redirect("home")
    return render(request, "prep/rights/account_deleted.html")
