"""What `make bench` measures, in order, once the services are up."""

import os
import platform
import time
from importlib.metadata import version
from pathlib import Path

import redis
from django.conf import settings
from django.db import connection

from . import fanout, load, pages, seed
from .services import WEB_WORKERS, CpuMeter

# Alternating blocks per page, seconds per block; fewer rounds for a page whose
# first request already takes seconds, so one slow page cannot eat the budget.
ROUNDS, SECONDS, SLOW_ROUNDS, SLOW_PAGE = 6, 1.25, 3, 2.0
FANOUTS = (2000, 10000)
# The whole run stays under 15 minutes: a fan-out still going at this point is
# stopped and reported with what had not arrived (never less than two minutes' wait).
BUDGET_SECONDS, LEAST_WAIT, FIRST_FANOUT_WAIT = 14 * 60, 120, 240


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = next(
        int(line.split()[1]) // 1024
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cursor.fetchone()[0]
        cursor.execute(
            "SELECT relname, n_live_tup, pg_total_relation_size(relid) FROM pg_stat_user_tables "
            "ORDER BY 3 DESC LIMIT 5"
        )
        tables = cursor.fetchall()
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    try:
        redis_version = client.info("server")["redis_version"]
    finally:
        client.close()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_mb": memory,
        "os": platform.platform(),
        "load_average_at_start": os.getloadavg(),
        "python": platform.python_version(),
        "postgresql": postgres,
        "database_size": size,
        # Rows and bytes with their indexes, for docs/capacity.md's storage sums.
        "largest_tables": tables,
        "redis": redis_version,
        **{name: version(name) for name in ("Django", "gunicorn", "celery", "aiosmtpd")},
    }


def _database_backends() -> list[int]:
    """The PostgreSQL server processes serving the bench database (the app's
    connections), but not this process's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [pid for (pid,) in cursor.fetchall()]


def _scale() -> seed.Scale:
    stored = seed.marker()
    fields = {k: v for k, v in stored["scale"].items() if k != "version"}
    return seed.Scale(**fields)


def everything(services, args, log, started: float) -> dict:
    """Every figure but the machine's; `started` is the run's time.monotonic() start."""
    scale = _scale()
    who = pages.people(scale)
    timed, sized = pages.pages(who)
    client = load.Client("127.0.0.1", services.web_port)
    rounds, seconds = (2, 0.5) if args.quick else (ROUNDS, SECONDS)

    def meter(**parts):
        """CPU seconds used since this call, by part, each time it is read."""
        meters = {part: CpuMeter(pids) for part, pids in parts.items()}
        return lambda: {part: each.read() for part, each in meters.items()}

    cpu = meter(web=services.web.tree, database=_database_backends)

    results = []
    for page in timed:
        probe = load.run_block(client, load.rotate(page.request), 0, WEB_WORKERS)
        slow = probe.latencies and max(probe.latencies) > SLOW_PAGE
        log(f"Timing {page.name} ({page.size})" + (", a slow page" if slow else ""))
        measured, bare = load.compare(
            client,
            load.rotate(page.request),
            load.rotate(page.bare),
            rounds=min(rounds, SLOW_ROUNDS) if slow else rounds,
            seconds=seconds,
            concurrency=WEB_WORKERS,
            cpu=cpu,
        )
        results.append(
            {
                "page": page.name,
                "size": page.size,
                "target": page.target,
                "page_figures": measured.summary(),
                "bare_figures": bare.summary(),
            }
        )

    log("Counting queries")
    queries = []
    for small, large in sized:
        small_count, small_status = pages.count_queries(small)
        large_count, large_status = (
            (small_count, small_status) if large is small else pages.count_queries(large)
        )
        queries.append(
            {
                "page": small.name,
                "small_size": None if large is small else small.size,
                "large_size": large.size,
                "small": small_count,
                "large": large_count,
                "statuses": [small_status, large_status],
            }
        )

    sink = fanout.Sink(services.sink_log)
    sizes = [max(1, n // 10) for n in FANOUTS] if args.quick else FANOUTS
    deliveries = []
    for count in sizes:
        log(f"Fan-out of {count} reminders, against Bsmtp before and after")
        before = fanout.plain_smtp(count, services.smtp_port, sink, f"{count}a")
        left = BUDGET_SECONDS - (time.monotonic() - started) - count / 200  # Bsmtp after
        if count != sizes[-1]:
            left = min(left, FIRST_FANOUT_WAIT)  # the last fan-out needs time too
        outbox = fanout.through_outbox(
            count,
            sink,
            timeout=max(LEAST_WAIT, left),
            cpu=meter(worker=services.worker.tree, database=_database_backends),
        )
        after = fanout.plain_smtp(count, services.smtp_port, sink, f"{count}b")
        deliveries.append(
            {"emails": count, "outbox": vars(outbox) | {"per_second": outbox.per_second},
             "bsmtp": [vars(d) | {"per_second": d.per_second} for d in (before, after)]}
        )  # fmt: skip
        time.sleep(1)
    return {"scale": vars(scale), "pages": results, "queries": queries, "fanout": deliveries}
