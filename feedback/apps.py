from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = "Relationship feedback"

    def ready(self):
        from . import emails  # noqa: F401 (registers the emails; connects receivers)
