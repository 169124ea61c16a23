from django import forms
from django.utils import timezone
from django.utils.dateformat import format as format_date

from appointments.models import Appointment

from . import links, plans
from .models import AgendaItem, Goal, GoalComment, Homework


class GoalForm(forms.ModelForm):
    title = forms.CharField(
        label="Goal",
        max_length=200,
        help_text="In the words you agreed on together.",
    )
    why_it_matters = forms.CharField(
        label="Why it matters (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = Goal
        fields = ["title", "why_it_matters"]


class GoalStatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=Goal.Status.choices,
        error_messages={"invalid_choice": "Choose one of the listed statuses."},
    )


class GoalCommentForm(forms.ModelForm):
    text = forms.CharField(
        label="Add a comment",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Write a few words first."},
    )

    class Meta:
        model = GoalComment
        fields = ["text"]


class AppointmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, appointment: Appointment) -> str:
        # Shown to the therapist in their own time zone (the middleware activates it).
        when = format_date(timezone.localtime(appointment.starts_at), "D j M Y, H:i")
        return f"{when} (upcoming)" if not appointment.has_started else when


class HomeworkForm(forms.ModelForm):
    description = forms.CharField(
        label="What to try",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    due_on = forms.DateField(
        label="By when (optional)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    appointment = AppointmentChoiceField(
        label="Session (optional)",
        queryset=Appointment.objects.none(),
        required=False,
        empty_label="Not linked to a session",
        error_messages={"invalid_choice": "Choose one of this patient’s sessions with you."},
    )

    class Meta:
        model = Homework
        fields = ["description", "due_on", "appointment"]

    def __init__(self, *args, therapist, patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.fields["appointment"].queryset = plans.appointments_for_homework(therapist, patient)

    def clean_due_on(self):
        due_on = self.cleaned_data["due_on"]
        if due_on and due_on < self.patient.today():
            raise forms.ValidationError("Choose today or a later date.")
        return due_on


class AgendaItemForm(forms.ModelForm):
    kind = forms.ChoiceField(
        label="This is",
        choices=AgendaItem.Kind.choices,
        initial=AgendaItem.Kind.TOPIC,
        widget=forms.RadioSelect,
    )
    text = forms.CharField(
        label="In a few words",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Write a few words first."},
    )

    class Meta:
        model = AgendaItem
        fields = ["kind", "text"]


class AgendaLineForm(forms.ModelForm):
    class Meta:
        model = AgendaItem
        fields = ["kind", "text"]
        labels = {"kind": "Topic or question", "text": "Add to the agenda"}
        widgets = {"text": forms.TextInput(attrs={"maxlength": 500})}

    def clean_text(self):
        text = self.cleaned_data["text"].strip()
        if len(text) > 500:
            raise forms.ValidationError("Keep it under 500 characters.")
        return text


class SummaryLinkForm(forms.Form):
    """A link for someone not on the app: how long it works and an optional code."""

    days = forms.TypedChoiceField(
        label="How long should the link work?",
        choices=[
            (days, f"{days} day{'s' if days > 1 else ''}") for days in links.LIFETIMES_IN_DAYS
        ],
        coerce=int,
        initial=links.DEFAULT_LIFETIME_DAYS,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        error_messages={"invalid_choice": "Choose one of the listed lengths of time."},
    )
    code = forms.CharField(
        label="A code to open it (optional)",
        required=False,
        min_length=4,
        max_length=20,
        strip=True,
        help_text="4 to 20 letters or numbers. Tell it to the person yourself: "
        "it is never sent by email.",
        error_messages={"min_length": "Make the code at least 4 characters."},
    )

    def clean_code(self):
        code = self.cleaned_data["code"]
        if code and not links.normalise_code(code).isalnum():
            raise forms.ValidationError("Use only letters and numbers in the code.")
        return code


class SummaryLinkEmailForm(forms.Form):
    address = forms.EmailField(
        label="Their email address",
        max_length=254,
        error_messages={"invalid": "That doesn’t look like an email address."},
    )


class SummaryLinkCodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=40,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
        error_messages={"required": "Type the code you were given."},
    )


class BringHistoryForm(forms.Form):
    """Which of the patient's own sessions (by the name they typed) come into a care
    link. Nothing is ticked to begin with; the button pressed is the answer."""

    BRING, KEEP = "bring", "keep"

    answer = forms.ChoiceField(
        choices=[(BRING, "Bring these"), (KEEP, "Keep them to myself")],
        error_messages={
            "required": "Choose one of the two buttons.",
            "invalid_choice": "Choose one of the two buttons.",
        },
    )
    groups = forms.MultipleChoiceField(
        required=False,
        error_messages={
            "invalid_choice": "Your sessions changed while this page was open. "
            "Look at them again and choose."
        },
    )

    def __init__(self, *args, groups, therapist_name: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["groups"].choices = [(group.key, group.name) for group in groups]
        self.therapist_name = therapist_name

    def clean(self):
        cleaned = super().clean()
        nothing_ticked = not cleaned.get("groups") and "groups" not in self.errors
        if cleaned.get("answer") == self.BRING and nothing_ticked:
            self.add_error(
                "groups",
                f"Tick the sessions that were with {self.therapist_name}, "
                "or choose “Keep them to myself”.",
            )
        return cleaned
