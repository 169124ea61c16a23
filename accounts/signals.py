"""What accounts announces to the apps built on it (accounts imports none of them).
Receivers run inside the sender's transaction, so what they write commits with it."""

from django.dispatch import Signal

# A pending invitation was created or renewed and should be emailed; args: invitation.
invitation_sent = Signal()

# A new patient account was created (from an invitation or the open sign-up page);
# args: patient.
patient_joined = Signal()

# allauth wants one of its own emails sent (accounts/adapters.py); the outbox queues it.
# args: purpose (one of the three below), user, target_id (the EmailAddress to confirm,
# else the user). A receiver returns True when it queued the email.
account_email_wanted = Signal()
CONFIRM_ADDRESS = "confirm_address"
RESET_PASSWORD = "reset_password"  # noqa: S105 (a purpose name, not a secret)
ACCOUNT_EXISTS = "account_exists"
