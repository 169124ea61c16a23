"""The practice manager's view: per-therapist counts only, never a patient's words
(a manager sees feedback only when a patient escalates it)."""

from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from django.db.models import F, Func, IntegerField, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3

from accounts.models import CareLink, User

from .models import AllianceAlert, Escalation, SessionFeedback
from .questions import RATINGS

# An alert counts as answered promptly when acknowledged within this long.
PROMPT_ACKNOWLEDGEMENT = timedelta(days=7)
# Escalations shown on one page (each is a patient's words, recorded as read).
ESCALATIONS_PER_PAGE = 25
# Open ones (not handled) first, then the most recently handled; newest first within each.
ESCALATION_ORDER = (F("handled_at").desc(nulls_first=True), F("created_at").desc())


# What a name needs (User.display_name): nothing else is read for a row.
NAME_FIELDS = ("first_name", "last_name", "email", "is_active")


@dataclass(frozen=True)
class Counts:
    """One therapist's row, its numbers as the page writes them."""

    name: str
    patients: str
    feedback: str
    alerts: str
    read_within_a_week: str


def therapists_with_counts() -> list[Counts]:
    """Every active therapist with their counts, by name."""
    sql, params = _counts_sql()
    return [
        Counts(
            therapist.display_name,
            str(therapist.patient_count),
            str(therapist.feedback_count),
            str(therapist.alert_count),
            str(therapist.acknowledged_in_week),
        )
        for therapist in User.objects.raw(sql, params)
    ]


@cache
def _counts_sql() -> tuple[str, tuple]:
    """The counts query's SQL, compiled once per process: the ORM takes longer to
    build and compile its four subqueries than the database takes to run them, and
    nothing in it (no time, no person) changes from one request to the next."""
    return _counts_query().query.sql_with_params()


def _counts_query():
    """Each count is its own subquery on one table, read from that table's therapist
    index: joining the tables would multiply the rows (care links times feedback
    times alerts) before counting."""
    return (
        User.objects.filter(role=User.Role.THERAPIST, is_active=True)
        .only(*NAME_FIELDS)
        .annotate(
            patient_count=_count(CareLink.objects.active()),
            feedback_count=_count(SessionFeedback.objects.all()),
            alert_count=_count(AllianceAlert.objects.all()),
            acknowledged_in_week=_count(
                AllianceAlert.objects.filter(
                    acknowledged_at__lte=F("created_at") + PROMPT_ACKNOWLEDGEMENT
                )
            ),
        )
        .order_by("last_name", "first_name")
    )


class _CountAll(Func):
    """COUNT(*) that Django does not take for an aggregate, so the subquery has no
    GROUP BY: one plain count, 0 when nothing matches."""

    template = "COUNT(*)"
    output_field = IntegerField()


def _count(rows):
    """How many of `rows` belong to the therapist of the outer query."""
    return Subquery(
        rows.filter(therapist=OuterRef("pk")).order_by().annotate(n=_CountAll()).values("n")
    )


def escalations():
    """In ESCALATION_ORDER, which an index keeps, so a page reads only its own rows.
    Only the columns the page shows: never the feedback's comment (the manager does
    not see it, and it would be decrypted for nothing), nor a password hash or phone."""
    return (
        Escalation.objects.select_related("feedback__patient", "feedback__therapist", "handled_by")
        .only(
            "message",
            "therapist_may_know",
            "created_at",
            "handled_at",
            *(f"feedback__{name}" for name in RATINGS),
            *(
                f"feedback__{person}__{field}"
                for person in ("patient", "therapist")
                for field in NAME_FIELDS
            ),
            *(f"handled_by__{field}" for field in NAME_FIELDS),
        )
        .order_by(*ESCALATION_ORDER)
    )


@dataclass(frozen=True)
class Shown:
    """One escalation as the page shows it, worked out here once so the template's
    loop only places values: each template node in that loop is paid per row."""

    escalation: Escalation
    # "Patient name (their@address) about Therapist name"
    heading: str
    created: str  # "3 Mar 2026", in the reader's time zone
    handled_by: str  # "" while open; else the manager's name ("a manager" if gone)
    handled_on: str  # "3 Mar"
    handled_url: str  # where "Mark as handled" posts


def shown(escalations) -> list[Shown]:
    """The page's escalations with their display values."""
    # Reversed once: every row's address differs only by its id.
    handled_url = reverse("feedback:escalation_handled", args=[0]).replace("/0/", "/{}/")
    # The `date` filter's "M" (Mar), looked up once a page rather than once a date.
    months = [""] + [str(MONTHS_3[month]).title() for month in range(1, 13)]
    rows = []
    for escalation in escalations:
        feedback = escalation.feedback
        # In the reader's time zone, as the `date` filter shows them: "3 Mar 2026".
        created = timezone.localtime(escalation.created_at)
        handled_by = handled_on = ""
        if escalation.handled_at:
            manager = escalation.handled_by
            handled_by = (manager.display_name if manager else "") or "a manager"
            handled = timezone.localtime(escalation.handled_at)
            handled_on = f"{handled.day} {months[handled.month]}"
        rows.append(
            Shown(
                escalation=escalation,
                heading=f"{feedback.patient.display_name} ({feedback.patient.email}) "
                f"about {feedback.therapist.display_name}",
                created=f"{created.day} {months[created.month]} {created.year}",
                handled_by=handled_by,
                handled_on=handled_on,
                handled_url=handled_url.format(escalation.pk),
            )
        )
    return rows


def mark_handled(escalation: Escalation, by) -> bool:
    return bool(
        Escalation.objects.filter(pk=escalation.pk, handled_at=None).update(
            handled_at=timezone.now(), handled_by=by
        )
    )
