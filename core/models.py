"""The one table core owns: one row per form submission that was acted on, so the
same form sent twice (a double tap, a replay, back and send again) is acted on once.
See core/submissions.py."""

from django.db import models
from django.utils import timezone


class SubmissionToken(models.Model):
    """A one-time token that a rendered form carried, recorded in the transaction of
    the work its POST did. The unique index is what makes a second POST with the same
    token wait for the first and then find it."""

    token = models.CharField(max_length=64)
    # The person who sent it (a plain id: core knows nothing of accounts), or none.
    user_id = models.BigIntegerField(null=True, blank=True)
    # Where the first response sent the browser; a repeat is sent to the same place.
    redirect_to = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token"], name="core_submission_token_once"),
        ]

    def __str__(self) -> str:
        return f"Submission {self.token[:8]}… at {self.created_at:%Y-%m-%d %H:%M}"
