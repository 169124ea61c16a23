"""Whether a stored draft still matches the journal it was built from.

A summary is built (prep/summaries.py `build`) from the patient's daily entries and
symptom ratings, symptom names, agenda, goals, homework, parked topics,
questionnaires, safety alerts, feedback and past sessions with this therapist.
`fingerprint` condenses all of them into one value with one small query: for each
input, how many rows there are, which ones (the sum of their ids) and their latest
change (an `updated_at`, or the columns that change without one). Any save, insert
or delete among them gives another value, and so does the period moving on a day,
a new time zone or a renamed person. The draft stores the value it was built from;
the review page trusts the stored snapshot only while the value still matches, and
otherwise builds the summary in memory (a GET never writes). The next POST or the
beat task stores the new one.

A wrong "still the same" would show the patient an old summary, so every doubt
errs the other way: rows near the period count too, and a change that alters
nothing shown only costs one rebuild.

The query is plain SQL, one scalar subquery per input: composed with the ORM, the
same query took longer to put together than the summary takes to build.
"""

import hashlib
from datetime import date, datetime, time, timedelta

from django.db import connection

from appointments.models import Appointment

# Symptom names are encrypted and a rename changes nothing else in the row, so
# their ciphertexts are joined and hashed (SQLite gets MD5 from Django).
_JOINED_NAMES = {
    "postgresql": "MD5(STRING_AGG(name, ',' ORDER BY name))",
    "sqlite": "MD5(GROUP_CONCAT(name, ','))",
}

# Each input: what to add up, and over which rows.
_INPUTS = {
    "entries": (
        ["COUNT(*)", "SUM(id)", "MAX(updated_at)"],
        "journal_dailyentry WHERE patient_id = %(patient)s AND day >= %(first_day)s",
    ),
    "ratings": (
        ["COUNT(*)", "SUM(r.id)", "SUM(r.severity)", "SUM(r.severity * r.id)"],
        "journal_symptomrating r JOIN journal_dailyentry e ON e.id = r.entry_id"
        " WHERE e.patient_id = %(patient)s AND e.day >= %(first_day)s",
    ),
    "symptoms": (
        ["COUNT(*)", "SUM(id)", "{joined_names}"],
        "journal_symptom WHERE patient_id = %(patient)s",
    ),
    "agenda": (
        ["COUNT(*)", "SUM(id)"],
        "prep_agendaitem WHERE patient_id = %(patient)s AND done_at IS NULL",
    ),
    "goals": (
        ["COUNT(*)", "SUM(id)", "MAX(updated_at)"],
        "prep_goal WHERE patient_id = %(patient)s",
    ),
    "homework": (
        ["COUNT(*)", "SUM(id)", "COUNT(done_at)", "MAX(done_at)"],
        "prep_homework WHERE patient_id = %(patient)s",
    ),
    "parked": (
        ["COUNT(*)", "SUM(id)", "SUM(CASE WHEN show_title_in_summary THEN id END)"],
        "journal_parkedtopic WHERE patient_id = %(patient)s",
    ),
    "measures": (
        ["COUNT(*)", "SUM(id)"],
        "journal_measureresponse WHERE patient_id = %(patient)s",
    ),
    "safety": (
        ["COUNT(*)", "SUM(id)"],
        "journal_safetyalert WHERE patient_id = %(patient)s AND created_at >= %(since)s",
    ),
    "feedback": (
        ["COUNT(*)", "SUM(id)", "MAX(updated_at)"],
        "feedback_sessionfeedback WHERE patient_id = %(patient)s"
        " AND COALESCE(therapist_id, 0) = %(therapist)s",
    ),
    # Attendance and the period's start; a cancellation bumps only `sequence`. An own
    # session (no therapist on the app) counts the patient's other own sessions: 0
    # stands for "no therapist", which no user's id is.
    "sessions": (
        ["COUNT(*)", "SUM(id)", "MAX(updated_at)", "SUM(sequence)"],
        "appointments_appointment WHERE patient_id = %(patient)s"
        " AND COALESCE(therapist_id, 0) = %(therapist)s AND starts_at < %(starts_at)s",
    ),
}

# One scalar subquery per input, each aggregate as text: planned one by one, where
# the same aggregates joined in one FROM took PostgreSQL 20 ms to plan. Built from
# the constants above only; the values go in as parameters.
_SQL = "SELECT " + ",\n  ".join(  # noqa: S608
    "(SELECT "  # noqa: S608
    + " || '/' || ".join(f"COALESCE(CAST({aggregate} AS TEXT), '-')" for aggregate in aggregates)
    + f" FROM {rows}) AS {name}"
    for name, (aggregates, rows) in _INPUTS.items()
)


def fingerprint(appointment: Appointment, end: date, lookback_days: int, salt: str) -> str:
    """One value that changes whenever anything the summary of `appointment`,
    ending on `end` and reaching back at most `lookback_days`, is built from does."""
    patient = appointment.patient
    first_day = end - timedelta(days=lookback_days)
    ops = connection.ops
    params = {
        "patient": patient.pk,
        "therapist": appointment.therapist_id or 0,
        "first_day": ops.adapt_datefield_value(first_day),
        "since": ops.adapt_datetimefield_value(
            datetime.combine(first_day, time.min, tzinfo=patient.zone)
        ),
        "starts_at": ops.adapt_datetimefield_value(appointment.starts_at),
    }
    with connection.cursor() as cursor:
        cursor.execute(_SQL.format(joined_names=_JOINED_NAMES[connection.vendor]), params)
        counts = cursor.fetchone()
    described = [
        salt,
        end.isoformat(),
        patient.timezone,
        patient.display_name,
        appointment.with_whom,
        appointment.starts_at.isoformat(),
        appointment.kind,
        repr(counts),
    ]
    return hashlib.sha256("\n".join(described).encode()).hexdigest()
