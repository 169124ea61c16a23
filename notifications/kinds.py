"""The kinds of email the outbox can send. Each app registers its own in its
`emails.py` (loaded from its AppConfig.ready): how to build one from its outbox row,
and whether it is still wanted at send time. The outbox itself knows no domain."""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


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
    # (notifications/daily.py).
    daily_for_role: str | None = None


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
) -> str:
    if name in KINDS:
        raise ImproperlyConfigured(f"The email kind {name!r} is registered twice.")
    KINDS[name] = Kind(name, label, render, still_wanted, category, daily_for_role)
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
