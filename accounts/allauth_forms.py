"""allauth's sign-in and password forms, in the app's words (settings.ACCOUNT_FORMS):
labels in sentence case, and no "Forgot your password?" squeezed under the password
box; the templates show it as a link big enough to tap.

A module of its own: allauth's forms import accounts.forms (the sign-up form class),
so accounts.forms cannot import them back.
"""

from allauth.account import forms as allauth_forms


def _without_reset_help(form, field_name: str) -> None:
    form.fields[field_name].help_text = ""


def _relabel(form, field_name: str, label: str) -> None:
    # allauth repeats the label as a placeholder; the label above the box is enough.
    field = form.fields[field_name]
    field.label = label
    field.widget.attrs.pop("placeholder", None)


class LoginForm(allauth_forms.LoginForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _without_reset_help(self, "password")


class ReauthenticateForm(allauth_forms.ReauthenticateForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _without_reset_help(self, "password")


class ChangePasswordForm(allauth_forms.ChangePasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _without_reset_help(self, "oldpassword")
        _relabel(self, "oldpassword", "Current password")
        _relabel(self, "password1", "New password")
        _relabel(self, "password2", "New password again")


class SetPasswordForm(allauth_forms.SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _relabel(self, "password2", "Password again")


class ResetPasswordKeyForm(allauth_forms.ResetPasswordKeyForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _relabel(self, "password1", "New password")
        _relabel(self, "password2", "New password again")


class SignupForm(allauth_forms.SignupForm):
    """The open sign-up page (patients only): the same questions, in the same words
    and order, as the form an invitation opens (accounts/forms.py)."""

    field_order = [
        "email",
        "first_name",
        "last_name",
        "password1",
        "password2",
        "timezone",
        "reminder_time",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _relabel(self, "email", "Email address")
        _relabel(self, "password1", "Choose a password")
        _relabel(self, "password2", "Password again")
        self.order_fields(self.field_order)
