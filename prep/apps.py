from django.apps import AppConfig


class PrepConfig(AppConfig):
    name = "prep"
    verbose_name = "Session preparation"

    def ready(self):
        from . import emails, plans  # noqa: F401 (registers the email; connects receivers)
