import re
import zoneinfo
from datetime import time

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation

from core import phone

from .models import CareLink, User
from .signals import patient_joined

# A name that reads like a link ("reset your password at evil.example") or breaks
# a line would let someone write into emails the practice sends.
LINK_LIKE = re.compile(
    r"(://|www\.|@|\b[\w-]+\.(?:com|org|net|edu|gov|uk|us|eu|ie|de|fr|nl|au|ca|io|co|me"
    r"|info|biz|app|dev|xyz|ru|example|link|site|online)\b|\b[\w-]+\.[a-z]{2,}/)",
    re.IGNORECASE,
)


def validate_plain_name(value: str) -> None:
    if any(char in value for char in "\r\n\t\x0b\x0c\u2028\u2029"):
        raise forms.ValidationError("A name fits on one line.")
    if LINK_LIKE.search(value):
        raise forms.ValidationError("A name can’t hold a web or email address.")


def name_field(label: str, *, required: bool = True, **kwargs) -> forms.CharField:
    return forms.CharField(
        max_length=150,
        required=required,
        label=label,
        validators=[validate_plain_name],
        **kwargs,
    )


def timezone_choices() -> list[tuple[str, str]]:
    names = sorted(
        name
        for name in zoneinfo.available_timezones()
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/"))
    )
    return [("UTC", "UTC"), *((name, name.replace("_", " ")) for name in names)]


class TimezoneField(forms.ChoiceField):
    def __init__(self, *, detect: bool = False, **kwargs):
        # On new-account forms the browser's own zone is filled in (static/js/app.js).
        attrs = {"data-detect-timezone": ""} if detect else {}
        kwargs.setdefault("widget", forms.Select(attrs=attrs))
        kwargs.setdefault("label", "Your time zone")
        kwargs.setdefault("initial", settings.DEFAULT_USER_TIMEZONE)
        kwargs.setdefault("help_text", "Dates and reminders follow this time zone.")
        super().__init__(choices=timezone_choices, **kwargs)


class ReminderTimeField(forms.TimeField):
    widget = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Daily reminder time")
        kwargs.setdefault("initial", time(20, 0))
        kwargs.setdefault("help_text", "When a gentle nudge to log your day may arrive.")
        super().__init__(**kwargs)


class NewPatientDetailsForm(forms.Form):
    """What every new patient is asked, however they arrive (a therapist's invitation
    or the open sign-up page): how to greet them, their time zone, and when the
    daily nudge may come."""

    first_name = name_field("First name")
    last_name = name_field("Last name (optional)", required=False)
    timezone = TimezoneField(detect=True)
    reminder_time = ReminderTimeField()

    def patient_details(self) -> dict:
        data = self.cleaned_data
        return {
            name: data[name] for name in ("first_name", "last_name", "timezone", "reminder_time")
        }


class PatientSignupForm(NewPatientDetailsForm):
    """The open sign-up page's own fields (allauth adds the address and password).
    It only ever makes a patient, whatever else is posted (accounts/adapters.py)."""

    def signup(self, request, user):
        for name, value in self.patient_details().items():
            setattr(user, name, value)
        user.role = User.Role.PATIENT
        user.save()
        # The same start as an invited patient (accounts/invitations.py).
        patient_joined.send(sender=User, patient=user)


class InvitePatientForm(forms.Form):
    email = forms.EmailField(label="Patient's email address")
    first_name = name_field(
        "Their first name (optional)",
        required=False,
        help_text="Used to greet them in the invitation.",
    )

    def __init__(self, *args, therapist: User, **kwargs):
        self.therapist = therapist
        super().__init__(*args, **kwargs)

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if email == self.therapist.email:
            raise forms.ValidationError("That is your own address.")
        if (
            CareLink.objects.active()
            .filter(therapist=self.therapist, patient__email=email)
            .exists()
        ):
            raise forms.ValidationError("This person is already one of your patients.")
        return email


class InviteTherapistForm(forms.Form):
    """A practice manager asks a therapist to join: accepting creates a therapist
    account with no patients."""

    email = forms.EmailField(label="Therapist's email address")
    first_name = name_field(
        "Their first name (optional)",
        required=False,
        help_text="Used to greet them in the invitation.",
    )

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email=email).exists():
            raise forms.ValidationError("This address already has an account.")
        return email


class AcceptInvitationForm(NewPatientDetailsForm):
    """A new patient's account, created from an invitation: the address is the one
    the invitation went to, so it needs no separate verification."""

    field_order = ["first_name", "last_name", "password1", "password2"]

    password1 = forms.CharField(
        label="Choose a password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs):
        self.email = email
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "The two passwords do not match.")
        elif password1:
            candidate = User(
                email=self.email,
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                password_validation.validate_password(password1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned

    def user_details(self) -> dict:
        return {"password": self.cleaned_data["password1"], **self.patient_details()}


class AcceptTherapistInvitationForm(AcceptInvitationForm):
    """A new therapist's account, created from a practice manager's invitation. The
    daily journal reminder is a patient's, so it is not asked."""

    reminder_time = None

    def user_details(self) -> dict:
        data = self.cleaned_data
        return {
            "password": data["password1"],
            "first_name": data["first_name"],
            "last_name": data["last_name"],
            "timezone": data["timezone"],
        }


class PhoneField(forms.CharField):
    """An optional phone number: left empty it is stored as null, never as ""."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", phone.MAX_LENGTH)
        kwargs.setdefault("required", False)
        kwargs.setdefault("empty_value", None)
        kwargs.setdefault("validators", [phone.validate_phone])
        kwargs.setdefault("widget", forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return phone.normalise(value) if value else None


class ProfileForm(forms.ModelForm):
    first_name = name_field("First name", required=False)
    last_name = name_field("Last name", required=False)
    timezone = TimezoneField()
    # A patient's own choices; therapists and managers are not asked.
    phone = PhoneField(
        label="Your phone number (optional)",
        help_text="Only your therapist sees it, so they can reach you, for example if "
        "you tell us you are thinking of harming yourself. Leave it empty to give none.",
    )
    # No choice is made for the patient: nothing is ticked until they answer.
    shares_overview = forms.NullBooleanField(
        label="Show your therapist your week at a glance?",
        required=False,
        widget=forms.RadioSelect(
            choices=[
                ("True", "Yes, show my therapist"),
                ("False", "No, keep it to me"),
            ]
        ),
        help_text="How many of the last 7 days you logged, whether your mood is going "
        "up or down, and your latest PHQ-9 and GAD-7 scores. Your words, symptoms and "
        "each answer stay private. You can change this at any time.",
    )

    class Meta:
        model = User
        fields = ["first_name", "last_name", "timezone", "phone", "shares_overview"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.is_patient:
            del self.fields["phone"]
            del self.fields["shares_overview"]
        elif not CareLink.objects.active().filter(patient=self.instance).exists():
            # A patient whose therapist isn't on the app: say who sees it now (nobody),
            # rather than promise a therapist who could reach them.
            nobody = "Your therapist isn’t on Between Sessions, so nobody here sees it now."
            self.fields["phone"].help_text = (
                f"{nobody} If you later link up with a therapist who is, only they will "
                "see it. Leave it empty to give none."
            )
            self.fields["shares_overview"].help_text = (
                f"{nobody} If you later link up with a therapist who is, they would see how "
                "many of the last 7 days you logged, whether your mood is going up or down, "
                "and your latest PHQ-9 and GAD-7 scores; never your words or answers."
            )


class AccessLogFilterForm(forms.Form):
    """The practice manager's filter for the access log: whose reads, between which
    days (in the manager's time zone). Every field is optional."""

    therapist = forms.ModelChoiceField(
        queryset=User.objects.filter(role=User.Role.THERAPIST).order_by(
            "last_name", "first_name", "email"
        ),
        required=False,
        empty_label="Everyone",
        label="Opened by",
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    since = forms.DateField(
        required=False,
        label="From",
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )
    until = forms.DateField(
        required=False,
        label="To",
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        for day in (since, until):
            if day and not 1900 <= day.year <= 2999:
                raise forms.ValidationError("Choose days between 1900 and 2999.")
        if since and until and since > until:
            raise forms.ValidationError("The first day must come before the last day.")
        return cleaned
