"""Links to a shared summary for someone who is not on the app (a therapist who will
never sign up, a doctor): the patient makes one for one shared version, chooses how
long it works and, if they like, a short code they tell the reader themselves.

The token is 256 random bits in the URL; the database holds its sha256 to find the
link, and an encrypted copy so the patient can copy the link again. A link shows only
its own version, frozen as shared. It stops working at its expiry, at once when the
patient revokes it, and for good after MAX_CODE_ATTEMPTS wrong codes. Every time the
summary is shown through it is recorded, for the patient to see.
"""

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from django.contrib.auth.hashers import check_password, make_password
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from notifications.links import site_url

from .models import PreSessionSummary, SummaryLink, SummaryLinkOpening

# The choices the patient has; a week unless they choose otherwise.
LIFETIMES_IN_DAYS = (1, 3, 7, 14, 30)
DEFAULT_LIFETIME_DAYS = 7
MAX_LIFETIME_DAYS = 30
MAX_CODE_ATTEMPTS = 5
# token_urlsafe(32): 43 characters; nothing else is looked up.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


class Status:
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"
    LOCKED = "locked"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_code(code: str) -> str:
    """Codes are read out loud and typed on a phone: case and spaces don't count."""
    return "".join(code.split()).upper()


def create(summary: PreSessionSummary, days: int, code: str = "") -> SummaryLink:
    if summary.version < 1:
        raise ValueError("Only a shared version can be linked to.")
    if not 1 <= days <= MAX_LIFETIME_DAYS:
        raise ValueError(f"A link works for 1 to {MAX_LIFETIME_DAYS} days.")
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    # "A week" ends at the same time on the patient's clock a week on, across a
    # change to or from summer time (aware arithmetic in one zone keeps the wall time).
    local_now = timezone.localtime(now, summary.appointment.patient.zone)
    return SummaryLink.objects.create(
        summary=summary,
        token_hash=_hash(token),
        token=token,
        expires_at=local_now + timedelta(days=days),
        code_hash=make_password(normalise_code(code)) if code else "",
        created_at=now,
    )


def url_of(link: SummaryLink) -> str:
    return site_url(reverse("prep:shared_summary", args=[link.token]))


def status_of(link: SummaryLink, now: datetime | None = None) -> str:
    now = now or timezone.now()
    if link.revoked_at is not None:
        return Status.REVOKED
    if link.expires_at <= now:
        return Status.EXPIRED
    if link.code_hash and link.failed_attempts >= MAX_CODE_ATTEMPTS:
        return Status.LOCKED
    return Status.ACTIVE


def find(token: str) -> SummaryLink | None:
    """The link a token opens, whatever its state, with its version, session and
    patient; None for anything that is not one of ours."""
    if not _TOKEN_SHAPE.fullmatch(token):
        return None
    return (
        SummaryLink.objects.select_related(
            "summary__appointment__patient", "summary__appointment__therapist"
        )
        .filter(token_hash=_hash(token))
        .first()
    )


def check_code(link: SummaryLink, code: str) -> bool:
    """Whether `code` is the link's code. A wrong one counts against the link, in
    one conditional update so two guesses at once both count."""
    if check_password(normalise_code(code), link.code_hash):
        return True
    SummaryLink.objects.filter(pk=link.pk, failed_attempts__lt=MAX_CODE_ATTEMPTS).update(
        failed_attempts=F("failed_attempts") + 1
    )
    link.refresh_from_db(fields=["failed_attempts"])
    return False


def attempts_left(link: SummaryLink) -> int:
    return max(0, MAX_CODE_ATTEMPTS - link.failed_attempts)


def record_opening(link: SummaryLink, *, as_pdf: bool = False) -> SummaryLinkOpening:
    """The one write a GET of the public page makes: the patient is promised that
    they see each time their summary is shown through the link."""
    return SummaryLinkOpening.objects.create(link=link, as_pdf=as_pdf)


def revoke(link: SummaryLink) -> bool:
    """Stop the link now; False if it was already revoked (a second press)."""
    now = timezone.now()
    changed = SummaryLink.objects.filter(pk=link.pk, revoked_at=None).update(revoked_at=now)
    if changed:
        link.revoked_at = now
    return bool(changed)


def for_version(summary: PreSessionSummary):
    """The version's links, newest first, each with its openings and emails (three
    queries however many there are)."""
    return SummaryLink.objects.filter(summary=summary).prefetch_related("openings", "emails")
