"""Sharing a shared summary beyond the app: the patient's page of links to one
version (make, copy, email, revoke, see the openings), the reader's page that a
link opens without an account, and the PDF of the version for both. The rules are
in links.py; these views fetch, check and render."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.access import patient_required
from core.submissions import one_submission

from . import emails, links, pdf, summaries
from .forms import SummaryLinkCodeForm, SummaryLinkEmailForm, SummaryLinkForm
from .models import PreSessionSummary, SummaryLink

# A reader who typed the right code keeps the link open in that browser this long.
CODE_COOKIE = "summary_link"
CODE_COOKIE_SALT = "prep.summary-link-code"
CODE_COOKIE_AGE = 12 * 3600
# PreSessionSummary.version is a PositiveIntegerField.
MAX_VERSION = 2**31 - 1


# The patient's side -------------------------------------------------------------


def _patients_version(request, appointment_id: int, version: int) -> PreSessionSummary:
    """The patient's own shared version; 404 for anyone else and for the draft."""
    if version > MAX_VERSION:
        raise Http404  # more than the column holds
    return get_object_or_404(
        PreSessionSummary.objects.select_related("appointment__patient", "appointment__therapist"),
        appointment_id=appointment_id,
        appointment__patient=request.user,
        version=version,
        status=PreSessionSummary.Status.SHARED,
    )


def _patients_link(request, link_id: int) -> SummaryLink:
    return get_object_or_404(
        SummaryLink.objects.select_related("summary__appointment"),
        pk=link_id,
        summary__appointment__patient=request.user,
    )


def _links_page(summary: PreSessionSummary):
    return reverse("prep:summary_links", args=[summary.appointment_id, summary.version])


@require_http_methods(["GET", "HEAD", "POST"])
@patient_required
@one_submission
def summary_links(request, appointment_id: int, version: int):
    """The version's links, and the form that makes one."""
    summary = _patients_version(request, appointment_id, version)
    form = SummaryLinkForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        link = links.create(summary, form.cleaned_data["days"], form.cleaned_data["code"])
        messages.success(
            request,
            "Your link is ready. Copy it below, or send it by email from here."
            + (" Tell them the code yourself." if link.code_hash else ""),
        )
        return redirect(f"{_links_page(summary)}#link-{link.pk}")
    return _render_links(request, summary, form=form, status=400 if form.errors else 200)


def _render_links(request, summary, *, form=None, failed_email=None, status=200):
    now = timezone.now()
    version_links = list(links.for_version(summary))
    rows = [
        {
            "link": link,
            "status": links.status_of(link, now),
            "url": links.url_of(link),
            "email_form": failed_email[1]
            if failed_email and failed_email[0] == link.pk
            else SummaryLinkEmailForm(),
        }
        for link in version_links
    ]
    return render(
        request,
        "prep/links/summary_links.html",
        {
            "summary": summary,
            "appointment": summary.appointment,
            "form": form or SummaryLinkForm(),
            "rows": rows,
            "Status": links.Status,
            "max_attempts": links.MAX_CODE_ATTEMPTS,
        },
        status=status,
    )


@require_POST
@patient_required
@one_submission
def summary_link_email(request, link_id: int):
    link = _patients_link(request, link_id)
    summary = link.summary
    if links.status_of(link) != links.Status.ACTIVE:
        messages.error(request, "This link no longer works, so it wasn’t sent. Make a new one.")
        return _render_links(request, _reload(summary), status=400)
    form = SummaryLinkEmailForm(request.POST)
    if not form.is_valid():
        return _render_links(request, _reload(summary), failed_email=(link.pk, form), status=400)
    address = form.cleaned_data["address"]
    emails.send_summary_link(link, address)
    messages.success(request, f"Sent to {address}. The email has the link only, never your code.")
    return redirect(f"{_links_page(summary)}#link-{link.pk}")


def _reload(summary: PreSessionSummary) -> PreSessionSummary:
    """The version with what the page shows about it (from a link's summary)."""
    return PreSessionSummary.objects.select_related(
        "appointment__patient", "appointment__therapist"
    ).get(pk=summary.pk)


@require_POST
@patient_required
@one_submission
def summary_link_revoke(request, link_id: int):
    link = _patients_link(request, link_id)
    if links.revoke(link):
        messages.success(request, "Link turned off. It stopped working just now.")
    else:
        messages.info(request, "That link was already turned off.")
    return redirect(f"{_links_page(link.summary)}#link-{link.pk}")


@require_safe
@patient_required
def summary_pdf(request, appointment_id: int, version: int):
    summary = _patients_version(request, appointment_id, version)
    return _pdf_response(request, summary, reader=False)


# The reader's side: no account, only the link ----------------------------------


def _unlisted(view):
    """The reader's pages are for one person: search engines are told not to index
    them, and nothing about the link travels on in a Referer header. (Every page is
    already sent no-store, core/middleware.py.)"""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex, nofollow"
        response.setdefault("Referrer-Policy", "no-referrer")
        return response

    return wrapped


def _unusable(request, status: str):
    """The page a link that no longer opens shows (404 if it never existed)."""
    return render(
        request,
        "prep/links/unusable.html",
        {"reason": status, "Status": links.Status, "max_attempts": links.MAX_CODE_ATTEMPTS},
        status={None: 404, links.Status.LOCKED: 403}.get(status, 410),
    )


def _code_accepted(request, link: SummaryLink) -> bool:
    if not link.code_hash:
        return True
    value = request.get_signed_cookie(
        CODE_COOKIE, default=None, salt=CODE_COOKIE_SALT, max_age=CODE_COOKIE_AGE
    )
    return value == str(link.pk)


def _is_owner(request, link: SummaryLink) -> bool:
    return request.user.is_authenticated and request.user.pk == link.summary.appointment.patient_id


@require_http_methods(["GET", "HEAD", "POST"])
@_unlisted
def shared_summary(request, token: str):
    """GET shows the version (or the code form) and records the opening, the one
    write a GET here makes; POST checks a code."""
    link = links.find(token)
    status = links.status_of(link) if link else None
    if status != links.Status.ACTIVE:
        return _unusable(request, status)
    if request.method == "POST":
        return _check_code(request, link)
    if not _code_accepted(request, link):
        return _render_code_form(request, link, SummaryLinkCodeForm())
    summary = link.summary
    # The patient looking at their own link is not someone opening it.
    if request.method == "GET" and not _is_owner(request, link):
        links.record_opening(link)
    with timezone.override(summary.appointment.patient.zone):
        return render(request, "prep/links/summary_version.html", _version_context(summary, link))


def _check_code(request, link: SummaryLink):
    form = SummaryLinkCodeForm(request.POST)
    if not form.is_valid():
        return _render_code_form(request, link, form, status=400)
    if not links.check_code(link, form.cleaned_data["code"]):
        if links.status_of(link) == links.Status.LOCKED:
            return _unusable(request, links.Status.LOCKED)
        left = links.attempts_left(link)
        form.add_error(
            "code",
            f"That code isn’t right. You can try {left} more time{'s' if left > 1 else ''}.",
        )
        return _render_code_form(request, link, form, status=400)
    response = redirect("prep:shared_summary", token=link.token)
    response.status_code = 303
    response.set_signed_cookie(
        CODE_COOKIE,
        str(link.pk),
        salt=CODE_COOKIE_SALT,
        max_age=CODE_COOKIE_AGE,
        path=reverse("prep:shared_summary", args=[link.token]),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


def _render_code_form(request, link, form, status=200):
    response = render(
        request,
        "prep/links/code.html",
        {"form": form, "first_name": link.summary.appointment.patient.first_name},
        status=status,
    )
    # Under no-referrer a browser sends its form with "Origin: null", which the CSRF
    # check rightly refuses. The code form shows nothing of the summary and links
    # nowhere but this site, so its page keeps the origin: still nothing to any
    # other site, and the summary's own page is no-referrer.
    response["Referrer-Policy"] = "same-origin"
    return response


@require_safe
@_unlisted
def shared_summary_pdf(request, token: str):
    link = links.find(token)
    status = links.status_of(link) if link else None
    if status != links.Status.ACTIVE:
        return _unusable(request, status)
    if not _code_accepted(request, link):
        return redirect("prep:shared_summary", token=link.token)
    if request.method == "GET" and not _is_owner(request, link):
        links.record_opening(link, as_pdf=True)
    return _pdf_response(request, link.summary, reader=True, link=link)


# Both -----------------------------------------------------------------------------


def _version_context(summary: PreSessionSummary, link: SummaryLink | None) -> dict:
    snapshot = summary.snapshot
    return {
        "summary": summary,
        "appointment": summary.appointment,
        "preview": snapshot,
        "display": summaries.display(snapshot),
        "link": link,
        "reader": link is not None,
        "zone": summary.appointment.patient.timezone,
    }


def _pdf_response(request, summary: PreSessionSummary, *, reader: bool, link=None):
    if summary.snapshot is None:
        raise Http404
    with timezone.override(summary.appointment.patient.zone):
        content = pdf.render_pdf(
            "prep/links/summary_version.html",
            _version_context(summary, link if reader else None),
            request=request,
        )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf.filename_for(summary)}"'
    return response
