"""Flash messages kept encrypted at rest.

A message can name a patient or an event ("Recorded: did not attend for Dana"), and
the session store keeps it in a database row until the next page shows it. Django's
session storage writes it as readable JSON; this one encrypts that JSON with the
field-encryption keys (core/crypto.py), so a copy of the sessions table says
nothing about anyone.
"""

from django.contrib.messages.storage.session import SessionStorage

from . import crypto


class EncryptedSessionStorage(SessionStorage):
    def serialize_messages(self, messages):
        return crypto.encrypt(super().serialize_messages(messages))

    def deserialize_messages(self, data):
        if not data or not isinstance(data, str):
            return data
        try:
            plaintext = crypto.decrypt(data)
        except crypto.EncryptionKeyError:
            # Written before this storage (plain JSON) or under a key since dropped:
            # a note meant for one page view, so it is let go rather than shown or
            # kept.
            return []
        return super().deserialize_messages(plaintext)
