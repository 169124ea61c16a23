"""How long building a pre-session summary takes, and how many queries it costs,
for a patient with 10 days and with 365 days of history (10 symptoms, 26
questionnaires). Runs in a throwaway test database.

    .venv/bin/python bench/summary_build.py            # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/summary_build.py

Results are written to bench/summary_build.results.md.
"""

import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

RUNS = 30


def populate(days: int, last_session: int):
    from accounts.models import CareLink, User
    from appointments.models import Appointment
    from journal.models import DailyEntry, MeasureResponse, Symptom, SymptomRating

    therapist = User.objects.create_user(f"t{days}-{last_session}@bench.example", role="therapist")
    patient = User.objects.create_user(f"p{days}-{last_session}@bench.example", role="patient")
    CareLink.objects.create(therapist=therapist, patient=patient)
    symptoms = Symptom.objects.bulk_create(
        Symptom(patient=patient, name=f"Symptom {n}") for n in range(10)
    )
    today = patient.today()
    entries = DailyEntry.objects.bulk_create(
        DailyEntry(
            patient=patient, day=today - timedelta(days=n), mood=n % 11, anxiety=(3 * n) % 11,
            energy=(7 * n) % 11, sleep_hours=7, discuss_next_session=n % 9 == 0,
            thoughts="a thought" if n % 9 == 0 else "",
        )
        for n in range(days)
    )  # fmt: skip
    SymptomRating.objects.bulk_create(
        SymptomRating(entry=entry, symptom=symptom, severity=(entry.day.day + i) % 4)
        for entry in entries
        for i, symptom in enumerate(symptoms)
    )
    now = datetime.now(UTC)
    MeasureResponse.objects.bulk_create(
        MeasureResponse(
            patient=patient, kind="phq9" if n % 2 else "gad7", answers=[1] * (9 if n % 2 else 7),
            total=9 if n % 2 else 7, band="mild", taken_at=now - timedelta(days=14 * n),
        )
        for n in range(26 if days > 30 else 4)
    )  # fmt: skip
    Appointment.objects.bulk_create(
        Appointment(
            therapist=therapist, patient=patient, starts_at=now - timedelta(days=d),
            ends_at=now - timedelta(days=d) + timedelta(minutes=50), outcome="attended",
        )
        for d in range(last_session, days, 14)
    )  # fmt: skip
    return Appointment.objects.create(
        therapist=therapist, patient=patient, starts_at=now + timedelta(days=2),
        ends_at=now + timedelta(days=2, minutes=50),
    )  # fmt: skip


def measure(appointment) -> tuple[int, list[float]]:
    from prep import summaries

    with CaptureQueriesContext(connection) as queries:
        summaries.build(appointment)
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        summaries.build(appointment)
        timings.append((time.perf_counter() - started) * 1000)
    return len(queries.captured_queries), timings


def main() -> None:
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        rows = []
        for days, last_session in ((10, 999), (365, 14), (365, 120)):
            appointment = populate(days, last_session)
            queries, timings = measure(appointment)
            rows.append(
                f"| {days} | {min(last_session, days, 90)} | {queries} | "
                f"{statistics.median(timings):.1f} | {max(timings):.1f} |"
            )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    report = "\n".join(
        [
            f"# Summary build ({connection.vendor}, {datetime.now(UTC):%Y-%m-%d})",
            "",
            f"Python {platform.python_version()} on {platform.machine()}, "
            f"{os.cpu_count()} cores; {RUNS} runs each, 10 symptoms.",
            "",
            "| days of history | days summarised | queries | median ms | max ms |",
            "| --- | --- | --- | --- | --- |",
            *rows,
            "",
        ]
    )
    print(report)
    out = Path(__file__).with_name("summary_build.results.md")
    existing = out.read_text() if out.exists() else ""
    out.write_text(report + "\n" + existing)


if __name__ == "__main__":
    main()
