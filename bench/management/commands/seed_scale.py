"""Load the practice `make bench` measures (bench/seed.py), or reuse it.

Only into a database that is empty or was seeded by this command: reseeding
empties every table first, so it refuses a database holding anyone else."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from bench import seed


class Command(BaseCommand):
    help = "Seed the scale data for `make bench` (PostgreSQL); reuse it when already seeded."

    def add_arguments(self, parser):
        defaults = seed.Scale()
        parser.add_argument("--patients", type=int, default=defaults.patients)
        parser.add_argument("--per-therapist", type=int, default=defaults.per_therapist)
        parser.add_argument("--days", type=int, default=defaults.days)
        parser.add_argument("--small-patients", type=int, default=defaults.small_patients)
        parser.add_argument("--small-days", type=int, default=defaults.small_days)
        parser.add_argument(
            "--max-age-days",
            type=int,
            default=7,
            # Its days end on the day it was seeded.
            help="Seed again when the stored data is older than this.",
        )
        parser.add_argument("--force", action="store_true", help="Seed again in any case.")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("seed_scale loads with PostgreSQL's COPY: set DATABASE_URL.")
        scale = seed.Scale(
            patients=options["patients"],
            per_therapist=options["per_therapist"],
            days=options["days"],
            small_patients=options["small_patients"],
            small_days=options["small_days"],
        )
        stored = seed.marker()
        if stored is None and User.objects.exists():
            raise CommandError(
                "This database holds people seed_scale did not create; "
                "seed_scale only fills an empty database (or one it seeded)."
            )
        if stored and not options["force"]:
            age = timezone.now() - stored["seeded_at"]
            if stored["scale"] == scale.key() and age.days < options["max_age_days"]:
                self.stdout.write(
                    f"Scale data already seeded {stored['seeded_at']:%Y-%m-%d %H:%M} "
                    f"in {stored['seconds']:.0f} s: reused."
                )
                return
        started = time.monotonic()
        with transaction.atomic():
            if stored:
                self.stdout.write("Emptying the previous scale data.")
                seed.empty_every_table()
            self.stdout.write(f"Seeding {scale}.")
            counts = seed.seed(scale, log=self.stdout.write)
        if not connection.in_atomic_block:
            self.stdout.write(f"  committed in {time.monotonic() - started:.0f} s; vacuum analyze")
            seed.vacuum_analyze()
            seed.record_time(time.monotonic() - started)
        for label, rows in sorted(counts.items()):
            self.stdout.write(f"  {label}: {rows:,}")
        self.stdout.write(f"Seeded in {time.monotonic() - started:.0f} s.")
