"""The processes `make bench` measures: gunicorn with production settings, a
Celery worker, and the SMTP sink. Each is started in its own process group and
stopped by its own id."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import suppress
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# As production runs them on this machine: the 2 sync workers on 2 cores,
# and Celery's default of one worker process per core.
WEB_WORKERS = 2
WORKER_CONCURRENCY = os.cpu_count() or 1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(predicate, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"Timed out waiting for {what}")
        time.sleep(0.2)


class Process:
    def __init__(self, name: str, command: list[str], env: dict, log: Path):
        self.name, self.log = name, log
        with open(log, "wb") as output:
            self.popen = subprocess.Popen(  # noqa: S603 (our own programs)
                command,
                cwd=REPO,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def alive(self) -> bool:
        return self.popen.poll() is None

    def check(self) -> None:
        if not self.alive():
            tail = self.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{self.name} exited:\n{tail}")

    def stop(self) -> None:
        if not self.alive():
            return
        with suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)

    def tree(self) -> list[int]:
        """This process and its descendants."""
        parents: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            parents.setdefault(ppid, []).append(int(entry.name))
        found, todo = [], [self.popen.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo += parents.get(pid, [])
        return found


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """User and system CPU time the process has used so far; None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


class CpuMeter:
    """CPU seconds a changing set of processes uses from now on (a database
    connection may close and another open). Read often: a process that ends between
    two readings takes its last moments with it."""

    def __init__(self, pids):
        self.pids = pids  # () -> the processes to count now
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        for pid in pids():
            if (used := cpu_seconds(pid)) is not None:
                self.first[pid] = self.last[pid] = used

    def read(self) -> float:
        for pid in self.pids():
            if (used := cpu_seconds(pid)) is not None:
                self.first.setdefault(pid, 0.0)  # started since: all of it counts
                self.last[pid] = used
        return sum(self.last[pid] - self.first[pid] for pid in self.last)


def peak_rss_mb(pid: int) -> float | None:
    """The most memory the process ever held resident (VmHWM), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class Services:
    def __init__(self, env: dict, workdir: Path):
        self.env, self.workdir = env, workdir
        self.web_port = int(env["BENCH_WEB_PORT"])
        self.smtp_port = int(env["BENCH_SMTP_PORT"])
        self.sink_log = workdir / "sink.log"
        self.worker_log = workdir / "worker.log"
        self.started: list[Process] = []

    def __enter__(self):
        try:
            self.sink_log.write_text("")
            self.sink = self._start(
                "smtp sink",
                [
                    sys.executable,
                    "-m",
                    "bench.sink",
                    f"--port={self.smtp_port}",
                    f"--log={self.sink_log}",
                ],
            )
            wait_for(lambda: self._listening(self.smtp_port, self.sink), "the SMTP sink")
            self.web = self._start(
                "gunicorn",
                [
                    str(BIN / "gunicorn"),
                    "config.wsgi:application",
                    f"--workers={WEB_WORKERS}",
                    "--worker-class=sync",
                    f"--bind=127.0.0.1:{self.web_port}",
                    "--timeout=300",
                    "--log-level=warning",
                ],
            )
            wait_for(self._web_ready, "gunicorn", timeout=90)
            if self.worker_log.exists():
                self.worker_log.unlink()
            self.worker = self._start(
                "celery worker",
                [
                    str(BIN / "celery"),
                    "--app=config",
                    "worker",
                    "--pool=prefork",
                    f"--concurrency={WORKER_CONCURRENCY}",
                    "--loglevel=INFO",
                    "--hostname=bench@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    f"--logfile={self.worker_log}",
                ],
            )
            wait_for(self._worker_ready, "the Celery worker", timeout=90)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def _start(self, name: str, command: list[str]) -> Process:
        log = self.workdir / f"{name.replace(' ', '-')}.out"
        process = Process(name, command, self.env, log)
        self.started.append(process)
        return process

    @staticmethod
    def _listening(port: int, process: Process) -> bool:
        process.check()
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    def _web_ready(self) -> bool:
        self.web.check()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.web_port}/healthz", headers={"X-Forwarded-Proto": "https"}
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                return response.status == 200
        except OSError:
            return False

    def _worker_ready(self) -> bool:
        self.worker.check()
        return self.worker_log.exists() and " ready." in self.worker_log.read_text(errors="replace")

    def peak_rss(self) -> dict:
        """Peak resident memory of each web and worker process (not the masters'
        children of other kinds), in MB."""
        web = [peak_rss_mb(pid) for pid in self.web.tree()]
        worker = [peak_rss_mb(pid) for pid in self.worker.tree()]
        return {
            "web_processes": [round(mb, 1) for mb in web if mb],
            "worker_processes": [round(mb, 1) for mb in worker if mb],
        }

    def stop(self) -> None:
        for process in reversed(self.started):
            process.stop()
