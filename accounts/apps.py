from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "People and care links"

    def ready(self):
        from . import mfa  # noqa: F401 (connects the MFA set-up receiver)
