"""Sessions kept in the database, as Django's own backend keeps them, with one
statement fewer on each side of an update.

Django's backend wraps every save in a transaction so that a failed insert of a new
session cannot break a caller's transaction. An update of an existing session is one
UPDATE, all or nothing by itself, so it is sent alone: one statement instead of
three (BEGIN, UPDATE, COMMIT) on every request that changes the session, such as
one that leaves a "saved" message for the next page. Creating a session is left
to Django.
"""

from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import DatabaseError, IntegrityError, router


class SessionStore(DatabaseSessionStore):
    def save(self, must_create=False):
        if must_create or self.session_key is None:
            return super().save(must_create=must_create)
        row = self.create_model_instance(dict(self.items()))
        using = router.db_for_write(self.model, instance=row)
        try:
            updated = (
                self.model.objects.using(using)
                .filter(session_key=row.session_key)
                .update(session_data=row.session_data, expire_date=row.expire_date)
            )
        except IntegrityError:
            raise
        except DatabaseError as error:
            raise UpdateError from error
        if not updated:
            # Gone meanwhile (signed out elsewhere): as Django's backend reports it.
            raise UpdateError
