from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.submissions import one_submission

from . import invitations
from .access import (
    get_invitation_for_therapist,
    get_patient_for_therapist,
    patients_of,
    therapist_required,
)
from .forms import AcceptInvitationForm, InvitePatientForm, ProfileForm
from .invitations import InvitationError
from .models import Invitation, User


@therapist_required
def patient_list(request):
    patients = patients_of(request.user).order_by("first_name", "last_name", "email")
    pending = Invitation.objects.filter(therapist=request.user, accepted_at=None, revoked_at=None)
    return render(
        request,
        "accounts/patient_list.html",
        {"patients": patients, "pending_invitations": pending},
    )


@therapist_required
def patient_detail(request, patient_id: int):
    patient = get_patient_for_therapist(request.user, patient_id)
    link = patient.therapist_links.get(therapist=request.user)
    return render(request, "accounts/patient_detail.html", {"patient": patient, "link": link})


def _invitation_queued(request, invitation: Invitation) -> None:
    messages.success(
        request,
        f"Invitation to {invitation.email} saved; the email goes out within a minute. "
        "If it never arrives, use “Send again”.",
    )


@therapist_required
@one_submission
def invite_patient(request):
    form = InvitePatientForm(request.POST or None, therapist=request.user)
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


def accept_invitation(request, token: str):
    try:
        invitation = invitations.resolve(token)
    except InvitationError as error:
        return _unusable_invitation(request, error)

    user = request.user
    context = {"invitation": invitation, "therapist": invitation.therapist}
    if user.is_authenticated:
        if user.email != invitation.email or not user.is_patient:
            return render(request, "accounts/invitation_wrong_account.html", context, status=403)
        if request.method == "POST":
            try:
                invitations.accept(invitation, user)
            except InvitationError as error:
                return _unusable_invitation(request, error)
            messages.success(request, f"{invitation.therapist.display_name} is now your therapist.")
            return redirect("home")
        return render(request, "accounts/invitation_confirm.html", context)

    if User.objects.filter(email=invitation.email).exists():
        context["login_url"] = f"{reverse('account_login')}?next={request.path}"
        return render(request, "accounts/invitation_sign_in.html", context)

    form = AcceptInvitationForm(
        request.POST or None,
        email=invitation.email,
        initial={"first_name": invitation.first_name},
    )
    context["form"] = form
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "accounts/invitation_accept.html", context, status=400)
        try:
            patient = invitations.accept_as_new_patient(invitation, **form.user_details())
        except InvitationError as error:
            return _unusable_invitation(request, error)
        except IntegrityError:
            # The same address signed up a moment ago (a second tab): sign in instead.
            return redirect(request.path)
        login(request, patient, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request,
            f"Welcome, {patient.first_name}. {invitation.therapist.display_name} is now "
            "your therapist. Your journal is private until you choose to share.",
        )
        return redirect("home")
    return render(request, "accounts/invitation_accept.html", context)


def _unusable_invitation(request, error: InvitationError):
    status = 404 if error.reason == "invalid" else 410
    return render(
        request, "accounts/invitation_unusable.html", {"reason": error.reason}, status=status
    )


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, "Your settings are saved.")
            return redirect("accounts:profile")
        return render(request, "accounts/profile.html", {"form": form}, status=400)
    return render(request, "accounts/profile.html", {"form": form})
