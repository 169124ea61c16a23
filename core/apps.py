from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Shared building blocks"

    def ready(self):
        from . import converters

        # Before any URLconf is read: `<id:...>` in every app's urls.py.
        converters.register()
