from django import forms

from accounts.forms import ReminderTimeField

from .models import EmailPreference, PracticeSettings


class EmailPreferenceForm(forms.ModelForm):
    reminder_time = ReminderTimeField(
        help_text="Sent at this time in your own time zone, between 07:00 and 21:30, "
        "and only on days you haven’t logged yet."
    )

    class Meta:
        model = EmailPreference
        fields = [
            "reminders",
            "reminder_first",
            "reminder_second",
            "bookings",
            "daily",
            "daily_paused_until",
            "summaries",
            "feedback",
        ]
        labels = {"daily_paused_until": "Pause the daily reminder until (optional)"}
        widgets = {"daily_paused_until": forms.DateInput(attrs={"type": "date"})}


class TherapistEmailPreferenceForm(forms.ModelForm):
    """The one category of email a therapist can turn off. Safety and feedback alerts
    are not in it: they cannot be turned off (the page says so)."""

    class Meta:
        model = EmailPreference
        fields = ["bookings"]
        help_texts = {"bookings": "When a patient asks for a new time after a missed session."}


class PracticeSettingsForm(forms.ModelForm):
    class Meta:
        model = PracticeSettings
        fields = ["first_reminder_hours", "second_reminder_hours"]

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("first_reminder_hours"), cleaned.get("second_reminder_hours")
        for name in ("first_reminder_hours", "second_reminder_hours"):
            value = cleaned.get(name)
            if value is not None and not 1 <= value <= 168:
                self.add_error(name, "Choose between 1 and 168 hours.")
        if first is not None and second is not None and second >= first:
            self.add_error("second_reminder_hours", "The second reminder comes after the first.")
        return cleaned
