from django import forms
from django.utils import timezone
from django.utils.dateformat import format as format_date

from appointments.models import Appointment

from . import plans
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
