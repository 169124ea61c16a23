from datetime import timedelta
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from core.widgets import ScaleWidget

from .measures import DIFFICULTY, DIFFICULTY_QUESTION, FREQUENCY, Questionnaire
from .models import SEVERITY_CHOICES, DailyEntry, MeasurePlan, ParkedTopic, Symptom


def scale(label: str, low: str, high: str) -> forms.IntegerField:
    # Optional: a scale left alone is stored as not answered, never as a middle value.
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=10,
        widget=ScaleWidget(low, high),
    )


# One severity of a symptom and its label (severity-N colours it in app.css).
SEVERITY_OPTION = (
    '<input type="radio" class="btn-check symptom-value" name="{name}" id="{id}" value="{value}"'
    '{checked}><label class="btn btn-outline-secondary severity-{value}" for="{id}">{label}'
    "</label>"
)
# "–" first: a symptom left at it is not rated, which is not the same as "None".
SEVERITY_CLEAR = (
    '<input type="radio" class="btn-check symptom-clear" name="{name}" id="{id}" value="">'
    '<label class="btn btn-outline-secondary symptom-unset" for="{id}">–'
    '<span class="visually-hidden"> not rated</span></label>'
)


class SeverityWidget(forms.RadioSelect):
    """A symptom's severity as a row of buttons. The daily log has a row per
    symptom, so the HTML is built here rather than from a template per radio; the
    row's name and radiogroup are in journal/entry.html."""

    def render(self, name, value, attrs=None, renderer=None):
        # Every value is escaped once here; the severities are numbers.
        name = escape(name)
        base = escape(self.build_attrs(self.attrs, attrs).get("id") or f"id_{name}")
        chosen = self.format_value(value)
        options = [
            SEVERITY_OPTION.format(
                name=name,
                id=f"{base}_{index}",
                value=severity,
                checked=" checked" if str(severity) in chosen else "",
                label=escape(label),
            )
            for index, (severity, label) in enumerate(self.choices)
        ]
        clear = SEVERITY_CLEAR.format(name=name, id=f"{base}_clear")
        buttons = clear + "".join(options)
        return mark_safe(f'<div class="btn-group btn-group-sm" role="presentation">{buttons}</div>')  # noqa: S308


class DailyEntryForm(forms.ModelForm):
    mood = scale("Mood", "Very low", "Very good")
    anxiety = scale("Anxiety", "Calm", "Very anxious")
    energy = scale("Energy", "Exhausted", "Full of energy")
    sleep_hours = forms.DecimalField(
        label="Hours slept",
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(24),
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
    )
    homework_done = forms.TypedChoiceField(
        label="Homework today",
        required=False,
        choices=[("", "—"), ("yes", "Did some"), ("no", "Not today")],
        coerce=lambda value: {"yes": True, "no": False}.get(value),
        empty_value=None,
    )
    thoughts = forms.CharField(
        label="Thoughts (optional)",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Private. Encrypted, and shared only if you include it in a summary.",
    )
    discuss_next_session = forms.BooleanField(label="Bring this up next session", required=False)
    self_harm_thoughts = forms.BooleanField(
        label="I’ve had thoughts of harming myself", required=False
    )

    class Meta:
        model = DailyEntry
        fields = [
            "mood",
            "anxiety",
            "energy",
            "sleep_hours",
            "homework_done",
            "thoughts",
            "discuss_next_session",
            "self_harm_thoughts",
        ]

    def __init__(self, *args, symptoms, ratings: dict[int, int], **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.homework_done is not None:
            self.initial["homework_done"] = "yes" if self.instance.homework_done else "no"
        self.symptoms = list(symptoms)
        for symptom in self.symptoms:
            self.fields[self.symptom_field(symptom)] = forms.TypedChoiceField(
                label=symptom.name,
                choices=SEVERITY_CHOICES,
                coerce=int,
                # Not rated is not the same as "None": it stores no rating at all.
                required=False,
                empty_value=None,
                initial=ratings.get(symptom.pk),
                widget=SeverityWidget,
            )

    @staticmethod
    def symptom_field(symptom: Symptom) -> str:
        return f"symptom_{symptom.pk}"

    def symptom_fields(self):
        return [self[self.symptom_field(symptom)] for symptom in self.symptoms]

    def _get_validation_exclusions(self):
        # The scales' own fields already hold them to the table's check constraints
        # (0 to 10, 0 to 24 hours); left to the model, each constraint would be checked
        # again with a query of its own on every save.
        return super()._get_validation_exclusions() | {"mood", "anxiety", "energy", "sleep_hours"}

    def severities(self) -> dict[int, int | None]:
        """Each listed symptom's rating; None where the patient left it unrated."""
        return {s.pk: self.cleaned_data[self.symptom_field(s)] for s in self.symptoms}


class QuickMoodForm(forms.Form):
    """Today's mood in one tap from the patient's home page."""

    day = forms.DateField(input_formats=["%Y-%m-%d"])
    mood = forms.IntegerField(min_value=0, max_value=10)


class SymptomForm(forms.ModelForm):
    class Meta:
        model = Symptom
        fields = ["name"]
        labels = {"name": "Symptom"}
        # One line (the model field is text, stored encrypted).
        widgets = {"name": forms.TextInput}

    def __init__(self, *args, patient, **kwargs):
        self.patient = patient
        super().__init__(*args, **kwargs)

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        clash = Symptom.objects.active().filter(patient=self.patient).named(name)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("You already track a symptom with this name.")
        return name


class ParkedTopicForm(forms.ModelForm):
    title = forms.CharField(
        label="A few words for it",
        max_length=200,
        help_text="Only a title. You decide later whether your therapist sees it.",
    )

    class Meta:
        model = ParkedTopic
        fields = ["title", "show_title_in_summary"]
        labels = {"show_title_in_summary": "My therapist may see this title in my summary"}


class MeasureForm(forms.Form):
    def __init__(self, *args, questionnaire: Questionnaire, **kwargs):
        super().__init__(*args, **kwargs)
        self.questionnaire = questionnaire
        for number, item in enumerate(questionnaire.items, start=1):
            self.fields[f"item_{number}"] = forms.TypedChoiceField(
                label=f"{number}. {item}",
                choices=FREQUENCY,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": "Please answer this question."},
            )
        self.fields["difficulty"] = forms.TypedChoiceField(
            label=DIFFICULTY_QUESTION,
            choices=DIFFICULTY,
            coerce=int,
            required=False,
            empty_value=None,
            widget=forms.RadioSelect,
        )

    def answers(self) -> list[int]:
        return [self.cleaned_data[f"item_{n}"] for n in range(1, len(self.questionnaire.items) + 1)]


class MeasurePlanForm(forms.ModelForm):
    class Meta:
        model = MeasurePlan
        fields = ["interval_days"]
        labels = {"interval_days": "Ask for PHQ-9 and GAD-7 every (days)"}


class SafetyContactForm(forms.Form):
    """What the therapist did after a safety alert, and when (their own time zone).
    Nothing is filled in for them: both are what they say."""

    # Typed to the minute, so a contact made in the alert's own minute still counts.
    EARLIEST_BEFORE_ALERT = timedelta(minutes=1)
    # A clock a little ahead of the server's is not "in the future".
    LATEST_AFTER_NOW = timedelta(minutes=5)

    contacted_at = forms.DateTimeField(
        label="When",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="In your time zone.",
    )
    note = forms.CharField(
        label="What you did",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: phoned, we spoke for ten minutes, agreed a session "
        "tomorrow. Only therapists caring for this patient see it. Encrypted.",
    )

    def __init__(self, *args, alert, **kwargs):
        self.alert = alert
        super().__init__(*args, **kwargs)

    def clean_contacted_at(self):
        moment = self.cleaned_data["contacted_at"]
        if moment < self.alert.created_at - self.EARLIEST_BEFORE_ALERT:
            raise forms.ValidationError("That is before the alert was raised.")
        if moment > timezone.now() + self.LATEST_AFTER_NOW:
            raise forms.ValidationError("That is still to come: record what already happened.")
        return moment
