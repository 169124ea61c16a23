"""The kinds of email the outbox can send. Each app registers its own in its
`emails.py` (loaded from its AppConfig.ready): how to build one from its outbox row,
whether it is still wanted at send time, and how long after its due time it is
still worth sending. The outbox itself knows no domain."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def daily_window() -> timedelta:
    """How long after its due time a daily email may still go out (read at send
    time, so a changed setting applies to rows already planned)."""
    return timedelta(minutes=settings.DAILY_EMAIL_WINDOW_MINUTES)


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    # Builds the email from its outbox row (notifications.models.Message).
    render: Callable
    # Asked just before sending: preferences and the world may have changed since.
    still_wanted: Callable
    # The EmailPreference category that turns it off; None for emails a person
    # cannot turn off (safety alerts, invitations).
    category: str | None = None
    # Planned once a day at each person of this role's own reminder time
    # (notifications/daily.py). Such an email also goes out only in the person's
    # daytime (checked at send time too, notifications/dispatch.py).
    daily_for_role: str | None = None
    # How long after its due time it is still worth sending (a callable, read at
    # send time); one not sent by then is dropped as expired, never sent late.
    # None: it stays worth sending (its `still_wanted` says when it is not).
    worth_sending_for: Callable[[], timedelta] | None = None


KINDS: dict[str, Kind] = {}


def _always(message) -> bool:
    return True


def register(
    name: str,
    *,
    label: str,
    render: Callable,
    still_wanted: Callable = _always,
    category: str | None = None,
    daily_for_role: str | None = None,
    worth_sending_for: Callable[[], timedelta] | None = None,
) -> str:
    """Register a kind. A daily one is worth sending for DAILY_EMAIL_WINDOW_MINUTES
    after its time unless it says otherwise."""
    if name in KINDS:
        raise ImproperlyConfigured(f"The email kind {name!r} is registered twice.")
    if daily_for_role and worth_sending_for is None:
        worth_sending_for = daily_window
    KINDS[name] = Kind(
        name, label, render, still_wanted, category, daily_for_role, worth_sending_for
    )
    return name


def get(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise ImproperlyConfigured(f"No email kind {name!r} is registered.") from None


def kind_label(name: str) -> str:
    kind = KINDS.get(name)
    return kind.label if kind else name


def daily_kinds() -> list[Kind]:
    return [kind for kind in KINDS.values() if kind.daily_for_role]
