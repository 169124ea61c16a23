"""PHQ-9 and GAD-7: their published items, scoring, severity bands, reliable change
and when the next one is due.

Both questionnaires are free to use without permission; their items must not be
altered, so the wording below is the published wording.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Max

from core import charts

from . import safety
from .models import MeasurePlan, MeasureResponse

NOTICE = (
    "PHQ-9 and GAD-7 were developed by Drs. Robert L. Spitzer, Janet B.W. Williams, "
    "Kurt Kroenke and colleagues, with an educational grant from Pfizer Inc. "
    "No permission required to reproduce, translate, display or distribute."
)

FREQUENCY = [
    (0, "Not at all"),
    (1, "Several days"),
    (2, "More than half the days"),
    (3, "Nearly every day"),
]
DIFFICULTY_QUESTION = (
    "If you checked off any problems, how difficult have these problems made it for "
    "you to do your work, take care of things at home, or get along with other people?"
)
DIFFICULTY = [
    (0, "Not difficult at all"),
    (1, "Somewhat difficult"),
    (2, "Very difficult"),
    (3, "Extremely difficult"),
]


@dataclass(frozen=True)
class Questionnaire:
    kind: str
    name: str
    stem: str
    items: tuple[str, ...]
    # (lowest total, band) from the top down.
    bands: tuple[tuple[int, str], ...]
    reliable_change: int

    @property
    def max_total(self) -> int:
        return 3 * len(self.items)

    def band(self, total: int) -> str:
        return next(name for lowest, name in self.bands if total >= lowest)


PHQ9 = Questionnaire(
    kind=MeasureResponse.Kind.PHQ9,
    name="PHQ-9",
    stem="Over the last 2 weeks, how often have you been bothered by any of the "
    "following problems?",
    items=(
        "Little interest or pleasure in doing things",
        "Feeling down, depressed, or hopeless",
        "Trouble falling or staying asleep, or sleeping too much",
        "Feeling tired or having little energy",
        "Poor appetite or overeating",
        "Feeling bad about yourself — or that you are a failure or have let yourself "
        "or your family down",
        "Trouble concentrating on things, such as reading the newspaper or watching television",
        "Moving or speaking so slowly that other people could have noticed? Or the "
        "opposite — being so fidgety or restless that you have been moving around a "
        "lot more than usual",
        "Thoughts that you would be better off dead or of hurting yourself in some way",
    ),
    bands=(
        (20, "severe"),
        (15, "moderately severe"),
        (10, "moderate"),
        (5, "mild"),
        (0, "minimal"),
    ),
    reliable_change=6,
)

GAD7 = Questionnaire(
    kind=MeasureResponse.Kind.GAD7,
    name="GAD-7",
    stem="Over the last 2 weeks, how often have you been bothered by the following problems?",
    items=(
        "Feeling nervous, anxious or on edge",
        "Not being able to stop or control worrying",
        "Worrying too much about different things",
        "Trouble relaxing",
        "Being so restless that it is hard to sit still",
        "Becoming easily annoyed or irritable",
        "Feeling afraid as if something awful might happen",
    ),
    bands=((15, "severe"), (10, "moderate"), (5, "mild"), (0, "minimal")),
    reliable_change=4,
)

QUESTIONNAIRES = {PHQ9.kind: PHQ9, GAD7.kind: GAD7}

# PHQ-9 item 9 (thoughts of being better off dead or of self-harm), zero-based.
PHQ9_SELF_HARM_ITEM = 8
DEFAULT_INTERVAL_DAYS = 14


def score(questionnaire: Questionnaire, answers: list[int]) -> tuple[int, str]:
    if len(answers) != len(questionnaire.items) or any(a not in (0, 1, 2, 3) for a in answers):
        raise ValueError(f"{questionnaire.name} needs one answer from 0 to 3 for each item.")
    total = sum(answers)
    return total, questionnaire.band(total)


def reports_self_harm(response: MeasureResponse) -> bool:
    return response.kind == PHQ9.kind and response.answers[PHQ9_SELF_HARM_ITEM] > 0


@dataclass(frozen=True)
class Change:
    points: int
    reliable: bool

    @property
    def direction(self) -> str:
        if self.points < 0:
            return "better"
        if self.points > 0:
            return "worse"
        return "same"


def change(questionnaire: Questionnaire, previous: int | None, current: int) -> Change | None:
    """Change since the previous score; reliable when it passes the usual threshold
    (PHQ-9: 6 points or more, GAD-7: 4 or more). Higher totals mean more symptoms."""
    if previous is None:
        return None
    points = current - previous
    return Change(points, abs(points) >= questionnaire.reliable_change)


def interval_days(patient) -> int:
    plan = MeasurePlan.objects.filter(patient=patient).only("interval_days").first()
    return plan.interval_days if plan else DEFAULT_INTERVAL_DAYS


@dataclass(frozen=True)
class Due:
    questionnaire: Questionnaire
    due_on: date
    last_taken: date | None

    def is_due(self, today: date) -> bool:
        return self.due_on <= today


def next_due(patient) -> list[Due]:
    """When each questionnaire is next due: at once if never taken, then every
    interval after the last one (in the patient's own calendar)."""
    interval = timedelta(days=interval_days(patient))
    latest = dict(
        MeasureResponse.objects.filter(patient=patient)
        .values("kind")
        .annotate(latest=Max("taken_at"))
        .values_list("kind", "latest")
    )
    today = patient.today()
    due = []
    for questionnaire in QUESTIONNAIRES.values():
        taken = latest.get(questionnaire.kind)
        last = taken.astimezone(patient.zone).date() if taken else None
        due.append(Due(questionnaire, last + interval if last else today, last))
    return due


@transaction.atomic
def record(patient, questionnaire: Questionnaire, answers: list[int], difficulty=None):
    total, band = score(questionnaire, answers)
    response = MeasureResponse.objects.create(
        patient=patient,
        kind=questionnaire.kind,
        answers=answers,
        difficulty=difficulty,
        total=total,
        band=band,
    )
    if reports_self_harm(response):
        safety.raise_for_measure(response)
    return response


@dataclass
class Trend:
    questionnaire: Questionnaire
    rows: list[tuple[MeasureResponse, Change | None]]
    chart: str


def history(responses: list[MeasureResponse], zone=None) -> list[Trend]:
    """Each questionnaire's scores oldest first, with the change at each step and a
    chart of the totals. Takes responses already loaded, in time order."""
    trends = []
    for questionnaire in QUESTIONNAIRES.values():
        own = [r for r in responses if r.kind == questionnaire.kind]
        rows, previous = [], None
        for response in own:
            rows.append((response, change(questionnaire, previous, response.total)))
            previous = response.total
        chart = ""
        if len(own) > 1:
            days = [r.taken_at.astimezone(zone).date() if zone else r.taken_at.date() for r in own]
            chart = charts.line_chart(
                f"{questionnaire.kind}-trend",
                f"{questionnaire.name} totals over time (0 to {questionnaire.max_total})",
                [
                    charts.Series(
                        questionnaire.name,
                        charts.PALETTE[0],
                        list(zip(days, [r.total for r in own], strict=True)),
                    )
                ],
                days[0],
                days[-1],
                questionnaire.max_total,
            )
        trends.append(Trend(questionnaire, rows, chart))
    return trends
