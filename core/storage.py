"""Static files as production serves them: whitenoise's compressed files under
hashed names (settings.STORAGES, when DEBUG is off)."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ManifestStorage(CompressedManifestStaticFilesStorage):
    """Every page asks for the same dozen asset addresses (templates/base.html). The
    manifest a process loads never changes while it runs, so each name's address is
    looked up once, not on every page."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Names come from templates ({% static %}): a few dozen at most.
        self._addresses: dict[str, str] = {}

    def url(self, name, force=False):
        if force:
            return super().url(name, force)
        try:
            return self._addresses[name]
        except KeyError:
            address = self._addresses[name] = super().url(name)
            return address
