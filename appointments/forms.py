from datetime import UTC, timedelta

from django import forms
from django.utils import timezone

from accounts.access import patients_of

from . import booking
from .models import Appointment, SessionSeries

DURATIONS = [(30, "30 minutes"), (45, "45 minutes"), (50, "50 minutes"), (60, "1 hour"),
             (90, "1½ hours")]  # fmt: skip

# Sessions are booked at most this far ahead; it also keeps every date the booking
# leads to (reminders, the summary's period, the calendar file) inside the calendar.
BOOKING_HORIZON = timedelta(days=2 * 366)


def day_field() -> forms.DateField:
    # A date input shows only an ISO value (YYYY-MM-DD); the locale's 28/11/2026
    # would leave it blank, and moving only the time would then fail.
    return forms.DateField(
        label="Date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


def start_field() -> forms.TimeField:
    return forms.TimeField(
        label="Start time", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )


def within_horizon(day, zone):
    if day > timezone.localdate(timezone=zone) + BOOKING_HORIZON:
        raise forms.ValidationError("Choose a date within the next two years.")
    return day


class AppointmentForm(forms.ModelForm):
    """Book or move a session; the date and time are in the therapist's time zone."""

    day = day_field()
    start = start_field()
    duration = forms.TypedChoiceField(label="Length", choices=DURATIONS, coerce=int, initial=50)

    class Meta:
        model = Appointment
        fields = ["patient", "kind", "location"]
        labels = {"kind": "Where", "location": "Room, address or video link"}
        # The location is one line, though stored as (encrypted) text.
        widgets = {"kind": forms.RadioSelect, "location": forms.TextInput}

    def __init__(self, *args, therapist, **kwargs):
        self.therapist = therapist
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = patients_of(therapist).order_by("first_name")
        self.fields["patient"].empty_label = None
        zone = therapist.zone
        if self.instance.pk:
            local = self.instance.starts_at.astimezone(zone)
            self.initial.update(
                day=local.date(), start=local.time(), duration=self.instance.duration_minutes
            )
            self.fields["patient"].disabled = True
        else:
            tomorrow = timezone.localdate(timezone=zone) + timedelta(days=1)
            self.initial.setdefault("day", tomorrow)

    def clean_location(self):
        location = self.cleaned_data["location"].strip()
        if self.cleaned_data.get("kind") == Appointment.Kind.VIDEO and location:
            location = forms.URLField(assume_scheme="https").clean(location)
        return location

    def clean_day(self):
        return within_horizon(self.cleaned_data["day"], self.therapist.zone)

    def clean(self):
        cleaned = super().clean()
        day, start, duration = cleaned.get("day"), cleaned.get("start"), cleaned.get("duration")
        if day and start and duration:
            try:
                # The instant, in UTC: adding the length to a time that carries its
                # zone would count on the wall clock across a clock change.
                starts_at = booking.local_start(day, start, self.therapist.zone).astimezone(UTC)
                ends_at = starts_at + timedelta(minutes=duration)
            except booking.BookingError as error:
                raise forms.ValidationError(str(error)) from None
            except OverflowError:
                # 1 January of year 1, east of Greenwich, is before the calendar's start.
                self.add_error("start", "Choose a time in the future.")
                return cleaned
            if starts_at <= timezone.now():
                self.add_error("start", "Choose a time in the future.")
            self.instance.therapist = self.therapist
            self.instance.starts_at = starts_at
            self.instance.ends_at = ends_at
            try:
                booking.check_free(
                    self.therapist, starts_at, self.instance.ends_at, self.instance.pk
                )
            except booking.BookingError as error:
                self.add_error("start", str(error))
        return cleaned


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(choices=Appointment.Outcome.choices, label="What happened")


class OwnSessionForm(forms.Form):
    """A patient's own session (their therapist is not on the app), added or moved by
    the patient; the date and time are in the patient's time zone. Nothing is chosen
    for them: the length, the kind and how it repeats start unanswered."""

    ONCE = "once"
    REPEATS = [
        (ONCE, "Just this once"),
        *((str(every), label) for every, label in SessionSeries.Every.choices),
    ]

    day = day_field()
    start = start_field()
    duration = forms.TypedChoiceField(
        label="Length", choices=[("", "Choose the length"), *DURATIONS], coerce=int
    )
    therapist_name = forms.CharField(
        label="Who it’s with",
        max_length=120,
        help_text="Your therapist’s name, as you call them.",
    )
    kind = forms.ChoiceField(
        label="Where", choices=Appointment.Kind.choices, widget=forms.RadioSelect
    )
    location = forms.CharField(
        label="Place or video link",
        max_length=300,
        required=False,
        help_text="For a video session, the web address you join at.",
    )
    repeats = forms.ChoiceField(label="How often", choices=REPEATS, widget=forms.RadioSelect)

    def __init__(self, *args, patient, session: Appointment | None = None, **kwargs):
        self.patient = patient
        self.session = session
        if session is not None:
            local = session.starts_at.astimezone(patient.zone)
            kwargs["initial"] = {
                "day": local.date(),
                "start": local.time(),
                "duration": session.duration_minutes,
                "therapist_name": session.therapist_name,
                "kind": session.kind,
                "location": session.location,
            }
        super().__init__(*args, **kwargs)
        if session is not None:
            # Moving one session moves only that one; the series stays as it is.
            del self.fields["repeats"]

    def clean_therapist_name(self):
        name = self.cleaned_data["therapist_name"].strip()
        if not name:
            raise forms.ValidationError("Write who the session is with.")
        return name

    def clean_location(self):
        location = self.cleaned_data["location"].strip()
        if self.cleaned_data.get("kind") == Appointment.Kind.VIDEO and location:
            location = forms.URLField(
                assume_scheme="https",
                error_messages={"invalid": "Enter the video link as a web address (https://…)."},
            ).clean(location)
        return location

    def clean_day(self):
        return within_horizon(self.cleaned_data["day"], self.patient.zone)

    def clean(self):
        cleaned = super().clean()
        day, start, duration = cleaned.get("day"), cleaned.get("start"), cleaned.get("duration")
        if day and start and duration:
            try:
                starts_at = booking.local_start(day, start, self.patient.zone).astimezone(UTC)
            except booking.BookingError as error:
                self.add_error("start", str(error))
                return cleaned
            except OverflowError:
                self.add_error("start", "Choose a time in the future.")
                return cleaned
            if starts_at <= timezone.now():
                self.add_error("start", "Choose a time in the future.")
            cleaned["starts_at"] = starts_at
            cleaned["ends_at"] = starts_at + timedelta(minutes=duration)
        return cleaned


class OwnAttendanceForm(forms.Form):
    """Whether the patient went to their own session."""

    outcome = forms.ChoiceField(
        choices=[
            (Appointment.Outcome.ATTENDED, "I went"),
            (Appointment.Outcome.NO_SHOW, "I didn’t go"),
        ]
    )
