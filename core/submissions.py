"""One submission, one record.

Every state-changing form carries a fresh random token in a hidden field
(`{% load submissions %}{% submission_token %}`). A view wrapped in `@one_submission`
records that token in `core_submissiontoken`, whose unique index makes the token
usable once, in the same transaction as the view's own work:

- the first POST inserts the token, does its work and commits both together;
- a second POST with the same token (a double tap, a replay, going back and sending
  again) waits on the unique index until the first commits, then finds the token
  taken and is sent where the first one was sent, with nothing done twice;
- a POST that was not acted on (form errors, a refusal: anything but a redirect, or a
  redirect that reports an error) gives its token back, so the corrected form can
  be sent;
- a POST with no token (an old page, a test client) is handled exactly as before.

Rows older than TOKEN_LIFETIME are purged by the beat task core.tasks.purge_submission_tokens.
"""

import re
import secrets
from datetime import timedelta
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.html import format_html

from .models import SubmissionToken

FIELD = "submission_token"
TOKEN_LIFETIME = timedelta(days=1)
ALREADY_SENT = "You had already sent this, so it was not sent again."
# token_urlsafe(32) gives 43 characters; anything else is not one of ours.
_SHAPE = re.compile(r"[A-Za-z0-9_-]{32,64}")
_REDIRECTS = {301, 302, 303, 307, 308}


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hidden_field() -> str:
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_token())


def one_submission(view):
    """Act on each token once. Put it below the access decorator, so a request that
    is turned away never records a token:

        @patient_required
        @one_submission
        def measure_new(request, kind): ...
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        token = request.POST.get(FIELD, "") if request.method == "POST" else ""
        if not _SHAPE.fullmatch(token):
            return view(request, *args, **kwargs)
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else None
        taken = False
        try:
            with transaction.atomic():
                # The transaction's first statement: when the token is already taken
                # nothing else has been done, so the insert needs no savepoint of its
                # own; the whole transaction is rolled back and the replay is answered.
                record = SubmissionToken.objects.create(token=token, user_id=user_id)
                taken = True
                errors_before = _error_messages(request)
                response = view(request, *args, **kwargs)
                if _was_acted_on(response) and _error_messages(request) == errors_before:
                    record.redirect_to = response["Location"]
                    record.save(update_fields=["redirect_to"])
                else:
                    # Deleting the row in this transaction frees the token for the next
                    # POST, including one already waiting on the index.
                    record.delete()
                return response
        except IntegrityError:
            if taken:
                raise  # the view's own, not the token's
        # Raised only once the POST that took this token has committed.
        return _replay(request, token, user_id)

    return wrapper


def _replay(request, token: str, user_id: int | None):
    first = SubmissionToken.objects.filter(token=token).first()
    if first is None or first.user_id != user_id:
        # Purged in between, or someone else's token: nothing to send them back to.
        raise PermissionDenied("This form was already used.")
    messages.info(request, ALREADY_SENT)
    return HttpResponseRedirect(first.redirect_to)


def _was_acted_on(response) -> bool:
    return response.status_code in _REDIRECTS and response.has_header("Location")


def _error_messages(request) -> int:
    """How many error messages are waiting for this person, read without using them
    up (a view that redirects with an error has not done what was asked)."""
    storage = messages.get_messages(request)
    count = sum(1 for message in storage if message.level >= messages.ERROR)
    if hasattr(storage, "used"):
        storage.used = False
    return count


def purge(now=None) -> int:
    """Forget tokens older than TOKEN_LIFETIME; returns how many were deleted."""
    cutoff = (now or timezone.now()) - TOKEN_LIFETIME
    deleted, _ = SubmissionToken.objects.filter(created_at__lt=cutoff).delete()
    return deleted
