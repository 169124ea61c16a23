"""What accounts announces to the apps built on it (accounts imports none of them).
Receivers run inside the sender's transaction, so what they write commits with it."""

from django.dispatch import Signal

# A pending invitation was created or renewed and should be emailed; args: invitation.
invitation_sent = Signal()

# A new patient account was created (from an invitation); args: patient.
patient_joined = Signal()
