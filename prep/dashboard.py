"""The therapist dashboard's rows, ready to print: each session, alert and patient's
week with its dates written out, its links built and its words chosen here, once per
row. The rows that grow with the caseload (the week's sessions, the patients' weeks)
are written out whole, one escaped string each, in the markup the template had; the
alerts are plain values the template prints. At 100 patients the page holds about a
hundred rows, and an include per row, with its filters and URL lookups, was most of
what the page cost to render (issue 13, bench/RESULTS.md).

Dates read as the template's `date` filter prints them: in the viewer's own time
zone (activated by core.middleware.UserTimezoneMiddleware) and language. Links are
reversed once per page, each row's id then put in place.

A session row's markup and words are those of prep/_session_row.html, which the other
session lists include: a change to one is a change to both."""

from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from appointments.models import Appointment

from .caseload import Glance, Week

# Reversed in the place of a row's id; digits, as the `id` converter wants.
_PLACEHOLDER = 9876543210


def _by_id(name: str):
    """A function from an id to `name`'s URL for it, reversing `name` once."""
    head, _, tail = reverse(name, args=[_PLACEHOLDER]).partition(str(_PLACEHOLDER))
    return lambda pk: f"{head}{pk}{tail}"


class _Clock:
    """Times in the active time zone, in the `date` filter's format characters: `D`
    (Tue), `j M` (3 Mar) and `H:i` (09:30), the names looked up once per page."""

    def __init__(self):
        self.zone = timezone.get_current_timezone()
        self.weekdays = [str(WEEKDAYS_ABBR[day]) for day in range(7)]
        self.months = [""] + [str(MONTHS_3[month]).title() for month in range(1, 13)]

    def parts(self, moment: datetime) -> tuple[str, str, str]:
        """(`D`, `j M`, `H:i`) of `moment`."""
        local = moment.astimezone(self.zone)
        return (
            self.weekdays[local.weekday()],
            f"{local.day} {self.months[local.month]}",
            f"{local.hour:02d}:{local.minute:02d}",
        )

    def day(self, moment: datetime) -> str:
        """`j M`"""
        return self.parts(moment)[1]

    def day_time(self, moment: datetime) -> str:
        """`j M, H:i`"""
        _, day, time = self.parts(moment)
        return f"{day}, {time}"

    def weekday_time(self, moment: datetime) -> str:
        """`D j M, H:i`"""
        weekday, day, time = self.parts(moment)
        return f"{weekday} {day}, {time}"


# The sessions of the day and the week -----------------------------------------------


@dataclass(frozen=True)
class WeekRows:
    today: list[SafeString]
    ahead: list[SafeString]
    more: int


class _Words:
    """What a session row says and links to, looked up once per page."""

    def __init__(self):
        self.clock = _Clock()
        self.kinds = {kind: str(label) for kind, label in Appointment.Kind.choices}
        self.outcomes = {outcome: str(label) for outcome, label in Appointment.Outcome.choices}
        self.patient_url = _by_id("prep:patient_detail")
        self.summary_url = _by_id("prep:summary_read")
        self.edit_url = _by_id("appointments:appointment_edit")
        self.now = timezone.now()


def week_rows(week: Week) -> WeekRows:
    words = _Words()
    return WeekRows(
        [_session_row(session, True, words) for session in week.today],
        [_session_row(session, False, words) for session in week.ahead],
        week.more,
    )


# A session row's markup, filled by format_html, which escapes every value put in.
# The fixed pieces are made once: a format_html call per piece of each row cost
# several times what the row's own words did.
_ROW_HEAD = (
    '<li class="list-group-item session-row">\n'
    '  <div class="session-when">\n'
    '    <strong>{}</strong> · <a href="{}">{}</a>\n'
    '    <span class="d-block small">{}</span>\n'
)
_CANCELLED_ROW = _ROW_HEAD + "    \n  </div>\n  \n</li>\n"
_ROW = (
    _ROW_HEAD + "    {}\n"
    "  </div>\n"
    '  <div class="session-actions">\n    {}\n    {}\n    {}\n  </div>\n'
    "</li>\n"
)
# By (confirmed, started).
_STATUS = {
    (True, True): "Had confirmed",
    (True, False): "Confirmed they’ll be there",
    (False, True): "Had not confirmed",
    (False, False): "Not confirmed yet",
}
_STATUS = {
    (confirmed, started): format_html(
        '<span class="d-block small"><span aria-hidden="true">✓ </span>{}</span>'
        if confirmed
        else '<span class="d-block small">{}</span>',
        said,
    )
    for (confirmed, started), said in _STATUS.items()
}
# By whether a draft waits.
_NO_SUMMARY = {
    draft: format_html('<span class="small">{}</span>', note)
    for draft, note in ((True, "Summary not shared yet"), (False, "No summary yet"))
}


def _session_row(session: Appointment, today: bool, words: _Words) -> SafeString:
    """A session's row, in the markup and words of prep/_session_row.html (which the
    sessions list and the patient page include), as one string: an include per row
    was most of what a full week cost to render. Today's rows give the time (`H:i`),
    the week's the day too (`D j M, H:i`). format_html escapes every value put in."""
    weekday, day, time = words.clock.parts(session.starts_at)
    started = session.starts_at <= words.now
    patient = session.patient.display_name
    join_url = session.join_url
    details = [words.kinds.get(session.kind, session.kind)]
    if session.location and not join_url:
        details.append(session.location)
    if session.outcome:
        details.append(words.outcomes.get(session.outcome, session.outcome))
    head = (
        time if today else f"{weekday} {day}, {time}",
        words.patient_url(session.patient_id),
        patient,
        " · ".join(details),
    )
    if session.is_cancelled:
        return format_html(_CANCELLED_ROW, *head)
    join = summary = edit = ""
    if join_url and not session.outcome:
        join = format_html(
            '<a class="btn btn-sm btn-outline-primary" href="{}">'
            'Join video<span class="visually-hidden"> with {}</span></a>',
            join_url,
            patient,
        )
    if session.has_shared:
        summary = format_html(
            '<a class="btn btn-sm btn-primary" href="{}">Read shared summary'
            '<span class="visually-hidden"> from {}, {}</span></a>',
            words.summary_url(session.pk),
            patient,
            day,
        )
    elif not started:
        summary = _NO_SUMMARY[session.has_draft]
    if not started and not session.outcome:
        edit = format_html(
            '<a class="btn btn-sm btn-link" href="{}">Move or cancel'
            '<span class="visually-hidden"> the session on {}, {}</span></a>',
            words.edit_url(session.pk),
            day,
            time,
        )
    status = _STATUS[bool(session.confirmed_at), started]
    return format_html(_ROW, *head, status, join, summary, edit)


# What needs attention ---------------------------------------------------------------


@dataclass(frozen=True)
class SafetyRow:
    patient: str
    patient_url: str
    source: str
    at: str  # `j M, H:i`
    reach: dict  # journal.safety.how_to_reach, for journal/_reach.html
    contact_url: str
    acknowledge_url: str


def safety_rows(alerts_and_reach) -> list[SafetyRow]:
    clock = _Clock()
    patient_url = _by_id("prep:patient_detail")
    contact_url = _by_id("journal:safety_alert")
    acknowledge_url = _by_id("journal:acknowledge_alert")
    return [
        SafetyRow(
            patient=alert.patient.display_name,
            patient_url=patient_url(alert.patient_id),
            source=alert.get_source_display(),
            at=clock.day_time(alert.created_at),
            reach=reach,
            contact_url=contact_url(alert.pk),
            acknowledge_url=acknowledge_url(alert.pk),
        )
        for alert, reach in alerts_and_reach
    ]


@dataclass(frozen=True)
class AllianceRow:
    patient: str
    session_day: str  # `j M`
    reason: str  # the first
    url: str


def alliance_rows(alerts) -> list[AllianceRow]:
    clock = _Clock()
    url = _by_id("feedback:alert_detail")
    return [
        AllianceRow(
            patient=alert.feedback.patient.display_name,
            session_day=clock.day(alert.feedback.session_at),
            reason=alert.reasons[0] if alert.reasons else "",
            url=url(alert.pk),
        )
        for alert in alerts
    ]


@dataclass(frozen=True)
class AttendanceRow:
    pk: int
    when: str  # `D j M, H:i`
    patient: str
    url: str


def attendance_rows(sessions) -> list[AttendanceRow]:
    clock = _Clock()
    url = _by_id("appointments:appointment_outcome")
    return [
        AttendanceRow(
            pk=session.pk,
            when=clock.weekday_time(session.starts_at),
            patient=session.patient.display_name,
            url=url(session.pk),
        )
        for session in sessions
    ]


def outcome_options() -> str:
    """The outcomes as <option>s, the same in every row's menu."""
    return format_html_join("", '<option value="{}">{}</option>', Appointment.Outcome.choices)


# Each patient's week ----------------------------------------------------------------


def glance_rows(glances: list[Glance], week_days: int) -> list[SafeString]:
    clock = _Clock()
    url = _by_id("prep:patient_detail")
    return [_glance_row(glance, week_days, clock, url) for glance in glances]


_GLANCE_HEAD = (
    '<li class="list-group-item glance">\n      <a class="glance-name" href="{}">{}</a>\n      '
)
_GLANCE_TAIL = "\n    </li>\n"
_NOT_SHARED = _GLANCE_HEAD + "<span>Not shared</span>" + _GLANCE_TAIL
_SHARED = (
    _GLANCE_HEAD
    + "<span>Logged {} of {} days</span>\n      <span>{}</span>\n      {}"
    + _GLANCE_TAIL
)
_NO_SCORES = format_html("<span>{}</span>", "No questionnaires yet")


def _glance_row(glance: Glance, week_days: int, clock: _Clock, url) -> SafeString:
    """One patient's week at a glance as one string (see _session_row), every value
    put in escaped by format_html."""
    patient = (url(glance.patient.pk), glance.patient.display_name)
    if not glance.shared:
        return format_html(_NOT_SHARED, *patient)
    mood = glance.mood.words
    if glance.mood.arrow:
        mood = format_html('<span aria-hidden="true">{} </span>{}', glance.mood.arrow, mood)
    scores = format_html_join(
        "",
        "<span>{} {} ({}, {}){}</span>",
        (
            (
                score.questionnaire.name,
                score.total,
                score.band,
                clock.day(score.taken_at),
                _reliable(score),
            )
            for score in glance.scores
        ),
    )
    return format_html(_SHARED, *patient, glance.days_logged, week_days, mood, scores or _NO_SCORES)


def _reliable(score) -> SafeString | str:
    """A score's badge for a reliable change, or nothing."""
    if not (score.change and score.change.reliable):
        return ""
    return format_html(
        ' <span class="badge reliable-{}">reliable change, {}</span>',
        score.change.direction,
        score.change.direction,
    )
