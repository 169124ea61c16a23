from datetime import datetime, time, timedelta

from allauth.account import views as allauth_views
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.submissions import one_submission

from . import audit, invitations, mfa
from .access import (
    get_invitation_for_therapist,
    manager_required,
    patient_required,
    patients_of,
    therapist_required,
)
from .forms import (
    AcceptInvitationForm,
    AcceptTherapistInvitationForm,
    AccessLogFilterForm,
    InvitePatientForm,
    InviteTherapistForm,
    ProfileForm,
)
from .invitations import InvitationError
from .models import AccessRecord, Invitation, User


@therapist_required
def patient_list(request):
    patients = patients_of(request.user).order_by("first_name", "last_name", "email")
    pending = Invitation.objects.filter(therapist=request.user, accepted_at=None, revoked_at=None)
    return render(
        request,
        "accounts/patient_list.html",
        {"patients": patients, "pending_invitations": pending},
    )


def _invitation_queued(request, invitation: Invitation) -> None:
    messages.success(
        request,
        f"Invitation to {invitation.email} saved; the email goes out within a minute. "
        "If it never arrives, use “Send again”.",
    )


@therapist_required
@one_submission
def invite_patient(request):
    form = InvitePatientForm(
        request.POST if request.method == "POST" else None, therapist=request.user
    )
    if request.method == "POST":
        if form.is_valid():
            invitation = invitations.invite(
                request.user, form.cleaned_data["email"], form.cleaned_data["first_name"]
            )
            _invitation_queued(request, invitation)
            return redirect("accounts:patient_list")
        return render(request, "accounts/invite.html", {"form": form}, status=400)
    return render(request, "accounts/invite.html", {"form": form})


@require_POST
@therapist_required
def resend_invitation(request, invitation_id: int):
    invitation = get_invitation_for_therapist(request.user, invitation_id)
    if not invitation.is_pending:
        messages.info(request, "That invitation has already been used or withdrawn.")
        return redirect("accounts:patient_list")
    invitation = invitations.invite(request.user, invitation.email)
    _invitation_queued(request, invitation)
    return redirect("accounts:patient_list")


@require_POST
@therapist_required
def revoke_invitation(request, invitation_id: int):
    invitation = get_invitation_for_therapist(request.user, invitation_id)
    if invitations.revoke(invitation):
        messages.success(request, f"The invitation to {invitation.email} was withdrawn.")
    return redirect("accounts:patient_list")


@manager_required
@one_submission
def invite_therapist(request):
    """A practice manager invites a therapist to join; in production this is the
    way a therapist account comes to exist (sign-up only ever makes patients)."""
    form = InviteTherapistForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        invitation = invitations.invite_therapist(
            request.user, form.cleaned_data["email"], form.cleaned_data["first_name"]
        )
        messages.success(
            request,
            f"Invitation to {invitation.email} saved; the email goes out within a minute. "
            "To send it again, invite the same address again.",
        )
        return redirect("accounts:invite_therapist")
    pending = Invitation.objects.filter(
        role=Invitation.Role.THERAPIST, accepted_at=None, revoked_at=None
    ).select_related("therapist")
    return render(
        request,
        "accounts/invite_therapist.html",
        {"form": form, "pending_invitations": pending},
        status=400 if form.errors else 200,
    )


def accept_invitation(request, token: str):
    try:
        invitation = invitations.resolve(token)
    except InvitationError as error:
        return _unusable_invitation(request, error)
    if invitation.role == Invitation.Role.THERAPIST:
        return _accept_therapist_invitation(request, invitation)

    user = request.user
    context = {"invitation": invitation, "therapist": invitation.therapist}
    if user.is_authenticated:
        if user.email != invitation.email or not user.is_patient:
            return render(request, "accounts/invitation_wrong_account.html", context, status=403)
        if request.method == "POST":
            try:
                link = invitations.accept(invitation, user)
            except InvitationError as error:
                return _unusable_invitation(request, error)
            messages.success(request, f"{invitation.therapist.display_name} is now your therapist.")
            # prep asks about the sessions they kept on their own, if they have any;
            # otherwise it sends them home.
            return redirect("prep:link_history", link.therapist_id)
        return render(request, "accounts/invitation_confirm.html", context)

    if User.objects.filter(email=invitation.email).exists():
        context["login_url"] = f"{reverse('account_login')}?next={request.path}"
        return render(request, "accounts/invitation_sign_in.html", context)

    form = AcceptInvitationForm(
        request.POST if request.method == "POST" else None,
        email=invitation.email,
        initial={"first_name": invitation.first_name},
    )
    return _new_account_from_invitation(
        request,
        invitation,
        form,
        context,
        template="accounts/invitation_accept.html",
        create=invitations.accept_as_new_patient,
        welcome=lambda person: (
            f"Welcome, {person.first_name}. {invitation.therapist.display_name} is now "
            "your therapist. Your journal is private until you choose to share."
        ),
    )


def _accept_therapist_invitation(request, invitation: Invitation):
    """A practice manager's invitation: it creates a new therapist account, with no
    patients, for the invited address."""
    context = {"invitation": invitation, "manager": invitation.therapist}
    if request.user.is_authenticated:
        return render(request, "accounts/invitation_wrong_account.html", context, status=403)
    if User.objects.filter(email=invitation.email).exists():
        return render(request, "accounts/invitation_therapist_taken.html", context, status=409)
    form = AcceptTherapistInvitationForm(
        request.POST if request.method == "POST" else None,
        email=invitation.email,
        initial={"first_name": invitation.first_name},
    )
    return _new_account_from_invitation(
        request,
        invitation,
        form,
        context,
        template="accounts/invitation_accept_therapist.html",
        create=invitations.accept_as_new_therapist,
        welcome=lambda person: (
            f"Welcome, {person.first_name}. Your therapist account is ready; "
            "invite your patients when you are ready."
        ),
    )


def _new_account_from_invitation(request, invitation, form, context, *, template, create, welcome):
    """The account form an invitation opens: create the account, sign in, welcome."""
    context["form"] = form
    if request.method != "POST":
        return render(request, template, context)
    if not form.is_valid():
        return render(request, template, context, status=400)
    try:
        person = create(invitation, **form.user_details())
    except InvitationError as error:
        return _unusable_invitation(request, error)
    except IntegrityError:
        # The same address made an account a moment ago (a second tab): start again.
        return redirect(request.path)
    login(request, person, backend="django.contrib.auth.backends.ModelBackend")
    mfa.record_new_account_sign_in(request, person)
    messages.success(request, welcome(person))
    return redirect("home")


def _unusable_invitation(request, error: InvitationError):
    status = 404 if error.reason == "invalid" else 410
    for_therapist = (
        error.invitation is not None and error.invitation.role == Invitation.Role.THERAPIST
    )
    return render(
        request,
        "accounts/invitation_unusable.html",
        {"reason": error.reason, "for_therapist": for_therapist},
        status=status,
    )


@login_required
def profile(request):
    form = ProfileForm(request.POST if request.method == "POST" else None, instance=request.user)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, "Your settings are saved.")
            return redirect("accounts:profile")
        return render(request, "accounts/profile.html", {"form": form}, status=400)
    return render(request, "accounts/profile.html", {"form": form})


ACCESS_LOG_PAGE_SIZE = 50


@patient_required
def my_access_log(request):
    """Who opened what of mine, newest first, in plain words."""
    page = Paginator(audit.for_patient(request.user), ACCESS_LOG_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    lines = [audit.sentence_for_patient(entry, request.user) for entry in page]
    return render(request, "accounts/my_access_log.html", {"page": page, "lines": lines})


@manager_required
def practice_access_log(request):
    """Every read of a patient's data, filtered by who read it and between which
    days (the manager's own time zone)."""
    form = AccessLogFilterForm(request.GET or None)
    entries = AccessRecord.objects.select_related("viewer", "patient")
    status = 200
    if form.is_bound and not form.is_valid():
        entries, status = entries.none(), 400
    elif form.is_bound:
        zone = request.user.zone
        if form.cleaned_data["therapist"]:
            entries = entries.filter(viewer=form.cleaned_data["therapist"])
        if form.cleaned_data["since"]:
            start = datetime.combine(form.cleaned_data["since"], time.min, tzinfo=zone)
            entries = entries.filter(at__gte=start)
        if form.cleaned_data["until"]:
            end = datetime.combine(
                form.cleaned_data["until"] + timedelta(days=1), time.min, tzinfo=zone
            )
            entries = entries.filter(at__lt=end)
    page = Paginator(entries, ACCESS_LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    rows = [(entry, audit.who_read(entry)) for entry in page]
    return render(
        request,
        "accounts/practice_access_log.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
        status=status,
    )


# allauth's pages for emailed links ------------------------------------------------
# allauth shows "this link can't be used" with status 200; these send it as 410 Gone,
# so browsers, crawlers and checks see the link is dead. The pages are in
# templates/account/.


class PasswordResetFromKeyView(allauth_views.PasswordResetFromKeyView):
    def render_to_response(self, context, **response_kwargs):
        if context.get("token_fail"):
            response_kwargs["status"] = 410
        return super().render_to_response(context, **response_kwargs)


class ConfirmEmailView(allauth_views.ConfirmEmailView):
    def render_to_response(self, context, **response_kwargs):
        if not context.get("confirmation"):
            response_kwargs["status"] = 410
        return super().render_to_response(context, **response_kwargs)


class SignupView(allauth_views.SignupView):
    """allauth's sign-up page, answering a form with mistakes with 400, like every
    other form here (allauth answers 200)."""

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class LogoutView(allauth_views.LogoutView):
    """Signing out also deletes what this site kept in the browser: the offline daily
    log's queued entries (IndexedDB), the service worker and its cached files
    (static/js/offline.js clears them too, for browsers without Clear-Site-Data)."""

    def post(self, *args, **kwargs):
        response = super().post(*args, **kwargs)
        response["Clear-Site-Data"] = '"cache", "storage"'
        return response
