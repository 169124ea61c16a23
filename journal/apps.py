from django.apps import AppConfig


class JournalConfig(AppConfig):
    name = "journal"
    verbose_name = "Journal"

    def ready(self):
        from . import emails, entries  # noqa: F401 (registers emails; connects receivers)
