from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Emails"

    def ready(self):
        from . import emails  # noqa: F401 (registers the invitation email)
