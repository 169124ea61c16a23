from django import forms

from core.widgets import ScaleWidget

from .models import AllianceAlert, SessionFeedback
from .questions import QUESTIONS


def rating(name: str) -> forms.IntegerField:
    # Optional and unset: a question left alone is stored as not answered.
    return forms.IntegerField(
        label=QUESTIONS[name],
        required=False,
        min_value=0,
        max_value=10,
        widget=ScaleWidget("Not at all", "Completely"),
    )


def tick() -> forms.CheckboxInput:
    return forms.CheckboxInput(attrs={"class": "form-check-input"})


class FeedbackForm(forms.ModelForm):
    """The four ratings start unset and any may be skipped, but not all of them: the
    model's "feedback_something_answered" check refuses an untouched form with its
    message (a form error, then a database constraint). Who sees it has no preset
    choice; the patient picks one."""

    bond = rating("bond")
    goals = rating("goals")
    approach = rating("approach")
    overall = rating("overall")
    comment = forms.CharField(
        label="What would make our sessions better? (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    discuss_next_time = forms.BooleanField(
        label="I’d like to talk about our relationship next time", required=False, widget=tick()
    )
    visibility = forms.ChoiceField(
        label="Who sees this",
        choices=SessionFeedback.Visibility.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        error_messages={"required": "Choose who sees this feedback."},
    )
    escalate = forms.BooleanField(
        label="Also send this to the practice manager",
        required=False,
        help_text="For when the relationship feels beyond repair. The manager will contact you.",
        widget=tick(),
    )
    escalation_message = forms.CharField(
        label="Anything the manager should know (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    therapist_may_know = forms.BooleanField(
        label="My therapist may know I contacted the manager", required=False, widget=tick()
    )

    class Meta:
        model = SessionFeedback
        fields = [
            "bond",
            "goals",
            "approach",
            "overall",
            "comment",
            "discuss_next_time",
            "visibility",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        escalation = getattr(self.instance, "escalation", None) if self.instance.pk else None
        if escalation:
            # An escalation once sent is the manager's to handle; it is not withdrawn here.
            for name in ("escalate", "escalation_message", "therapist_may_know"):
                del self.fields[name]


class ReplyForm(forms.ModelForm):
    reply = forms.CharField(
        label="A short reply (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example: “Thank you. Let’s talk about it on Tuesday.”",
    )

    class Meta:
        model = AllianceAlert
        fields = ["reply"]
