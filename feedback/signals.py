"""What feedback announces to the apps built on it (it imports none of them).
Receivers run inside the sender's transaction, so what they write commits with it."""

from django.dispatch import Signal

# A patient saved (or changed) their feedback on a session; args: feedback.
feedback_saved = Signal()
