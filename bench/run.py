"""`make bench`: seed (or reuse) the scale data, start the app as it runs in
production (gunicorn with DEBUG off, a Celery worker, Redis, PostgreSQL) with an
SMTP sink, measure every page against a bare view, count queries, fan reminders
out against plain smtplib, and write bench/RESULTS.md. See bench/README.md.

    make bench                          # BENCH_DATABASE_URL, BENCH_REDIS_URL
    .venv/bin/python -m bench.run --quick --patients 200   # a smaller, shorter run
"""

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .services import REPO, WEB_WORKERS, WORKER_CONCURRENCY, Services, free_port

WORKDIR = REPO / "var" / "bench"
# Fixed for the bench database: its encrypted rows are written with this key.
FIELD_KEY = "YmVuY2gtb25seS1rZXktbmV2ZXItcHJvZHVjdGlvbiE="


def bench_env(database_url: str, redis_url: str) -> dict[str, str]:
    web_port, smtp_port = free_port(), free_port()
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-never-used-in-production-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "FIELD_ENCRYPTION_KEYS": FIELD_KEY,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "SITE_URL": f"https://127.0.0.1:{web_port}",
        "STATIC_ROOT": str(WORKDIR / "static"),
        "BENCH_BARE_VIEW": "true",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        "BENCH_WEB_PORT": str(web_port),
        "BENCH_SMTP_PORT": str(smtp_port),
    }


def ensure_database(url: str) -> None:
    """Create the bench database if the server does not have it yet."""
    import psycopg2

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    connection = psycopg2.connect(admin)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()


def manage(env: dict, *args: str, show: bool = False) -> str:
    """Run a management command with the bench's settings; its output, shown as it
    comes when `show`."""
    process = subprocess.Popen(  # noqa: S603 (our own manage.py)
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    for line in process.stdout:
        lines.append(line)
        if show:
            print(line, end="", flush=True)
    if process.wait():
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{''.join(lines)}")
    return "".join(lines)


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="shorter blocks, smaller fan-out")
    parser.add_argument("--output", default=str(REPO / "bench" / "RESULTS.md"))
    args = parser.parse_args()
    started, started_at = time.monotonic(), datetime.now(UTC)
    database_url = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/between_sessions_bench"
    )
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
    WORKDIR.mkdir(parents=True, exist_ok=True)
    env = bench_env(database_url, redis_url)
    os.environ.update(env)

    log(f"Database {database_url}, Redis {redis_url}")
    ensure_database(database_url)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    log("Seeding (or reusing) the scale data")
    seed_started = time.monotonic()
    seed_output = manage(env, "seed_scale", f"--patients={args.patients}", show=True)
    seed_seconds = time.monotonic() - seed_started

    import django

    django.setup()
    from . import measure, report

    figures = {
        "started_at": started_at.isoformat(),
        "seed": {"seconds": seed_seconds, "output": seed_output.strip().splitlines()},
        "machine": measure.machine(),
        "web_workers": WEB_WORKERS,
        "worker_processes": WORKER_CONCURRENCY,
    }
    with Services(env, WORKDIR) as services:
        log("Services up: gunicorn, Celery worker, SMTP sink")
        figures.update(measure.everything(services, args, log, started))
        figures["peak_rss_mb"] = services.peak_rss()
    figures["wall_seconds"] = time.monotonic() - started
    (WORKDIR / "results.json").write_text(json.dumps(figures, indent=2, default=str))
    Path(args.output).write_text(report.markdown(figures))
    log(f"Done in {figures['wall_seconds'] / 60:.1f} min; wrote {args.output}")


if __name__ == "__main__":
    main()
