"""Goals, homework and the agenda. The rules live in prep/plans.py; these views
fetch, validate and render."""

from functools import wraps
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.access import (
    cared_for_by,
    get_patient_for_therapist,
    patient_required,
    role_required,
    therapist_required,
)
from accounts.models import User
from journal import entries

from . import plans
from .models import AgendaItem, Goal, Homework
from .plan_forms import AgendaItemForm, GoalCommentForm, GoalForm, GoalStatusForm, HomeworkForm

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
    plans.set_agenda_item_done(item, done)
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
    return _render_plan(request, get_patient_for_therapist(request.user, patient_id))


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
