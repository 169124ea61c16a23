"""What appointments announces to the apps built on it (it imports none of them).
Receivers run inside the sender's transaction, so what they write commits with it."""

from django.dispatch import Signal

# Attendance was recorded (or corrected) for a session; args: appointment.
outcome_recorded = Signal()
