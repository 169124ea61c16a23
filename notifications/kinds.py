"""The kinds of email the outbox can send. Each app registers its own in its
`emails.py` (loaded from its AppConfig.ready): how to build one from its outbox row,
whether it is still wanted at send time, and how long after its due time it is
still worth sending. The outbox itself knows no domain."""

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)


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
    # Reads, for many rows at once and in a fixed number of queries, what
    # `still_wanted` and `render` need: a dict from each row's id to it (absent or
    # None when what it is about is gone). Each row finds its own as `row.target`
    # (notifications/models.py), so a batch costs the same queries however many
    # rows it holds. None: the kind reads what it needs row by row.
    load: Callable[[list], dict] | None = None


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
    load: Callable[[list], dict] | None = None,
) -> str:
    """Register a kind. A daily one is worth sending for DAILY_EMAIL_WINDOW_MINUTES
    after its time unless it says otherwise."""
    if name in KINDS:
        raise ImproperlyConfigured(f"The email kind {name!r} is registered twice.")
    if daily_for_role and worth_sending_for is None:
        worth_sending_for = daily_window
    KINDS[name] = Kind(
        name, label, render, still_wanted, category, daily_for_role, worth_sending_for, load
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


def by_target(queryset) -> Callable[[list], dict]:
    """A `load` for kinds whose rows are each about one row of `queryset` (their
    target_id): one query for a whole batch."""

    def load(messages) -> dict:
        found = queryset.in_bulk({message.target_id for message in messages})
        return {message.pk: found.get(message.target_id) for message in messages}

    return load


def load_targets(messages) -> None:
    """Give each outbox row what its kind's `load` reads for it (`row.target`), one
    load per kind. A kind whose load fails leaves its rows to load one by one when
    used, so one broken kind never holds up the others."""
    by_kind = defaultdict(list)
    for message in messages:
        by_kind[message.kind].append(message)
    for name, rows in by_kind.items():
        kind = KINDS.get(name)
        if kind is None or kind.load is None:
            continue
        try:
            found = kind.load(rows)
        except Exception:
            logger.exception("Loading %s emails in bulk failed; loading them one by one", name)
            continue
        for row in rows:
            row.set_target(found.get(row.pk))
