"""Real services for the outbox (notifications/dispatch.py): Celery workers in their
own processes, Redis, PostgreSQL, and an SMTP sink (aiosmtpd) in this process that
records every message it accepts by the outbox row its header names.

Locally without DATABASE_URL (PostgreSQL) and REDIS_URL these tests skip; under
CI=true a missing service fails them (tests/conftest.py `require_service`).
"""

import asyncio
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes
from pathlib import Path
from urllib.parse import quote

import kombu.pools
import pytest
import redis
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from appointments.emails import BOOKED
from config.celery import app as celery_app
from notifications.models import Message
from tests.conftest import require_service
from tests.factories import AppointmentFactory, UserFactory

REPO = Path(__file__).resolve().parents[3]
CELERY = Path(sys.executable).with_name("celery")
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
# Every email names its outbox row (notifications/compose.py): the sink counts by it.
HEADER = "X-Between-Sessions-Message"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate, *, timeout: float, what: str, interval: float = 0.05, details=None):
    """Poll `predicate` until it is truthy; fail with `what` (and `details()`) after
    `timeout` seconds. Every wait in these tests is bounded."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            extra = f"\n{details()}" if details else ""
            pytest.fail(f"Timed out after {timeout:.0f}s waiting for {what}{extra}")
        time.sleep(interval)


# The SMTP sink ------------------------------------------------------------------


@dataclass
class Delivery:
    message_id: int | None
    recipients: tuple[str, ...]
    peer: tuple  # the client's (host, port): one per SMTP connection
    started: float
    finished: float | None = None


@dataclass
class SmtpSink:
    """An SMTP server that accepts (and records) or refuses each message.

    A message is recorded as delivered once its DATA has arrived, before the "250"
    goes back: a server that has the message may deliver it even if the client
    never hears the answer, so that is the conservative point to count it.
    """

    port: int = 0
    delay: float = 0.0  # seconds the server takes to accept each message
    refuse_rcpt: object = field(default=None, repr=False)  # (address) -> bool: 550 to RCPT
    refuse_data: object = field(default=None, repr=False)  # (recipients) -> bool: 550 to DATA
    # (address) -> bool: RCPT gets no answer while this says so, and the client waits
    # (a worker caught after claiming a row and before the server has the message).
    hold_rcpt: object = field(default=None, repr=False)
    on_delivery: object = field(default=None, repr=False)  # (delivery, count), server thread
    deliveries: list[Delivery] = field(default_factory=list, repr=False)
    refused: list[tuple[str, str]] = field(default_factory=list, repr=False)
    held: list[str] = field(default_factory=list, repr=False)  # RCPT addresses held
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_rcpt and self.refuse_rcpt(address):
            with self.lock:
                self.refused.append(("RCPT", address))
            return "550 5.1.1 Mailbox unavailable"
        if self.hold_rcpt and self.hold_rcpt(address):
            with self.lock:
                self.held.append(address)
            while self.hold_rcpt and self.hold_rcpt(address):
                await asyncio.sleep(0.02)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        recipients = tuple(envelope.rcpt_tos)
        if self.refuse_data and self.refuse_data(recipients):
            with self.lock:
                self.refused.append(("DATA", ",".join(recipients)))
            return "550 5.7.1 Message refused"
        header = message_from_bytes(envelope.content).get(HEADER)
        delivery = Delivery(
            message_id=int(header) if header else None,
            recipients=recipients,
            peer=tuple(session.peer or ()),
            started=time.monotonic(),
        )
        with self.lock:
            self.deliveries.append(delivery)
            count = len(self.deliveries)
        if self.on_delivery:
            self.on_delivery(delivery, count)
        if self.delay:
            await asyncio.sleep(self.delay)
        delivery.finished = time.monotonic()
        return "250 2.0.0 Message accepted for delivery"

    def counts(self) -> Counter:
        with self.lock:
            return Counter(d.message_id for d in self.deliveries if d.message_id is not None)

    def received(self) -> list[tuple[int | None, tuple[str, ...]]]:
        """Each message accepted: the outbox row it names and its recipients."""
        with self.lock:
            return [(d.message_id, d.recipients) for d in self.deliveries]

    def has_all(self, ids) -> bool:
        return set(ids) <= set(self.counts())

    def overlapping_connections(self) -> bool:
        """Whether two SMTP connections were delivering at the same time (so two
        dispatchers really did run at once)."""
        spans: dict[tuple, list[float]] = {}
        with self.lock:
            for d in self.deliveries:
                end = d.finished or d.started
                span = spans.setdefault(d.peer, [d.started, end])
                span[0], span[1] = min(span[0], d.started), max(span[1], end)
        latest_end = None
        for start, end in sorted(spans.values()):
            if latest_end is not None and start < latest_end:
                return True
            latest_end = end if latest_end is None else max(latest_end, end)
        return False


@pytest.fixture
def smtp_sink():
    # aiosmtpd logs every SMTP command at INFO: keep failure reports readable.
    mail_log = logging.getLogger("mail.log")
    level = mail_log.level
    mail_log.setLevel(logging.WARNING)
    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port, ready_timeout=10)
    controller.start()
    try:
        yield sink
    finally:
        sink.hold_rcpt = None  # let a held RCPT finish before the server stops
        controller.stop()
        mail_log.setLevel(level)


def smtp_settings(port: int) -> dict:
    """Django settings that send through the sink, whatever EMAIL_URL says."""
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
        "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": 10,
    }


# Services -----------------------------------------------------------------------


def redis_answers(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except redis.RedisError:
        return False


@pytest.fixture
def live_db(transactional_db):
    """Committed rows in PostgreSQL, which worker processes can see."""
    require_service(
        connection.vendor == "postgresql", "Needs PostgreSQL: set DATABASE_URL=postgres://…"
    )


@pytest.fixture
def redis_url() -> str:
    """The broker the app is configured with (REDIS_URL), if it answers."""
    url = settings.CELERY_BROKER_URL
    require_service(
        url.startswith("redis://") and redis_answers(url), "Needs Redis: set REDIS_URL=redis://…"
    )
    return url


class RedisServer:
    """A private redis-server on a spare port, so a test can stop and restart its
    broker without touching anybody else's Redis."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        command += ["--dir", str(self.workdir), "--logfile", str(self.workdir / "redis.log")]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_until(lambda: redis_answers(self.url), timeout=10, what="the private redis-server")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def private_redis(tmp_path):
    require_service(Path(REDIS_SERVER).exists(), f"Needs {REDIS_SERVER}")
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# Workers ------------------------------------------------------------------------


def database_url() -> str:
    """The test database (test_…) as a URL for a worker process."""
    db = connection.settings_dict
    auth = ""
    if db["USER"]:
        auth = quote(db["USER"], safe="")
        if db["PASSWORD"]:
            auth += ":" + quote(db["PASSWORD"], safe="")
        auth += "@"
    return f"postgres://{auth}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@dataclass
class Worker:
    name: str
    process: subprocess.Popen
    log: Path  # Celery's log file
    output: Path  # stdout and stderr: what happens before logging is set up

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        tails = []
        for path in (self.output, self.log):
            try:
                text = path.read_text(errors="replace").strip()
            except FileNotFoundError:
                continue
            if text:
                tails.append(f"--- {path.name} ---\n" + "\n".join(text.splitlines()[-lines:]))
        return "\n".join(tails) or f"({self.name}: no output)"

    def wait_ready(self, timeout: float = 45) -> None:
        def ready():
            if not self.alive():
                pytest.fail(f"Worker {self.name} exited early\n{self.log_tail()}")
            return self.log.exists() and " ready." in self.log.read_text(errors="replace")

        wait_until(ready, timeout=timeout, what=f"worker {self.name}", details=self.log_tail)

    def dispatch_runs(self) -> list[str]:
        """What each finished dispatch_outbox run of this worker returned (its
        totals), as the worker logged them."""
        try:
            text = self.log.read_text(errors="replace")
        except FileNotFoundError:
            return []
        return re.findall(
            r"Task notifications\.tasks\.dispatch_outbox\[[^\]]+\] succeeded in \S+: (\{.*\})",
            text,
        )

    def kill(self) -> None:
        """SIGKILL, no warm shutdown: the whole process group (pool children too)."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if not self.alive():
            return
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()


class Workers:
    """Starts workers that consume one queue of their own, so they never take
    anybody else's messages, and cleans up after them."""

    def __init__(self, tmp_path: Path, sink: SmtpSink):
        self.queue = f"it-outbox-{uuid.uuid4().hex[:12]}"
        self.tmp_path = tmp_path
        self.sink = sink
        self.started: list[Worker] = []
        self.brokers: set[str] = set()

    def start(self, broker_url: str, *, pool="solo", concurrency=1, **env) -> Worker:
        name = f"{self.queue}-{len(self.started) + 1}"
        log, output = self.tmp_path / f"{name}.log", self.tmp_path / f"{name}.out"
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "true",
            "DATABASE_URL": database_url(),
            "REDIS_URL": broker_url,
            "EMAIL_URL": f"smtp://127.0.0.1:{self.sink.port}",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
            **{key: str(value) for key, value in env.items()},
        }
        command = [str(CELERY), "-A", "config", "worker", f"--pool={pool}"]
        command += [f"--concurrency={concurrency}", "--loglevel=INFO", "-Q", self.queue]
        command += ["-n", f"{name}@%h", "--without-gossip", "--without-mingle"]
        command += ["--without-heartbeat", f"--logfile={log}"]
        with open(output, "wb") as stdout:
            process = subprocess.Popen(
                command,
                cwd=REPO,
                env=environment,
                stdout=stdout,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, for killpg
            )
        worker = Worker(name, process, log, output)
        self.started.append(worker)
        self.brokers.add(broker_url)
        return worker

    def logs(self) -> str:
        return "\n".join(worker.log_tail() for worker in self.started)

    def stop_all(self) -> None:
        for worker in self.started:
            worker.stop()

    def forget_queue(self) -> None:
        """Best effort: remove what the workers left in each broker (their queue,
        its bindings, pidbox queues, unacknowledged copies of our tasks)."""
        marker = self.queue.encode()
        for url in self.brokers:
            if not redis_answers(url):
                continue
            client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
            try:
                for key in client.scan_iter(match=f"*{self.queue}*"):
                    client.delete(key)
                for key in client.scan_iter(match="_kombu.binding.*"):
                    for member in client.smembers(key):
                        if marker in member:
                            client.srem(key, member)
                for tag, payload in client.hscan_iter("unacked"):
                    if marker in payload:
                        client.hdel("unacked", tag)
                        client.zrem("unacked_index", tag)
            except redis.RedisError:
                pass
            finally:
                client.close()


@pytest.fixture
def workers(live_db, smtp_sink, tmp_path):
    """Depends on live_db, so every worker is gone before the test database is
    flushed or dropped."""
    manager = Workers(tmp_path, smtp_sink)
    try:
        yield manager
    finally:
        manager.stop_all()
        manager.forget_queue()


# Publishing from this process ---------------------------------------------------


class LiveCelery:
    """The project's Celery app, for one test, publishing for real (not eagerly)
    to a broker of the test's choosing."""

    def __init__(self):
        self.original_broker = celery_app.conf.broker_url
        self.original_default_queue = celery_app.conf.task_default_queue

    @staticmethod
    def _point_at(url: str) -> None:
        celery_app.conf.broker_url = url
        # The app caches its connection and producer pools: drop them so the next
        # publish connects to `url`.
        kombu.pools.reset()
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    def point_at(self, url: str) -> None:
        celery_app.conf.task_always_eager = False
        self._point_at(url)

    def route_unrouted_to(self, queue: str) -> None:
        """Tasks the app publishes without naming a queue (the early dispatch a
        safety alert asks for when its transaction commits) go to `queue`, which
        only this test's workers consume."""
        celery_app.conf.task_default_queue = queue

    def restore(self) -> None:
        celery_app.conf.task_default_queue = self.original_default_queue
        self._point_at(self.original_broker)
        celery_app.conf.task_always_eager = True


@pytest.fixture
def live_celery():
    live = LiveCelery()
    try:
        yield live
    finally:
        live.restore()


def enqueue_dispatch(queue: str, times: int = 1) -> None:
    """What beat does every minute: one dispatcher run per call."""
    from notifications.tasks import dispatch_outbox

    assert not celery_app.conf.task_always_eager
    for _ in range(times):
        dispatch_outbox.apply_async(queue=queue)


@pytest.fixture
def point_cache_at():
    """Point Django's cache at another Redis for the rest of the test."""
    overrides = []

    def point(url: str) -> None:
        cache = {**settings.CACHES["default"], "LOCATION": url}
        cache["BACKEND"] = "django.core.cache.backends.redis.RedisCache"
        cache.setdefault("OPTIONS", {"socket_connect_timeout": 2, "socket_timeout": 2})
        override = override_settings(CACHES={"default": cache})
        override.enable()
        overrides.append(override)

    yield point
    for override in reversed(overrides):
        override.disable()


# Data ---------------------------------------------------------------------------


def due_messages(count: int, *, patients: int = 5) -> list[int]:
    """`count` booking notices in the outbox, all due, each with its own key; their
    ids in due order."""
    therapist = UserFactory(therapist=True)
    appointments = [
        AppointmentFactory(
            therapist=therapist,
            patient=UserFactory(),
            starts_at=(timezone.now() + timedelta(days=2 + n)).replace(
                minute=0, second=0, microsecond=0
            ),
        )
        for n in range(patients)
    ]
    now = timezone.now()
    batch = uuid.uuid4().hex[:8]
    rows = Message.objects.bulk_create(
        Message(
            key=f"{BOOKED}:it{batch}:{n}",
            kind=BOOKED,
            recipient=appointments[n % patients].patient,
            target_id=appointments[n % patients].pk,
            due_at=now - timedelta(seconds=count - n),
        )
        for n in range(count)
    )
    return [row.pk for row in rows]


def statuses(ids) -> Counter:
    return Counter(Message.objects.filter(pk__in=ids).values_list("status", flat=True))
