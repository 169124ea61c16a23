"""Measuring pages over HTTP, each against the bare view B0 in alternating blocks.

A block keeps as many requests in flight as the server has workers, for a fixed
time; blocks of the page and of B0 alternate, so whatever else the machine is
doing at a moment slows both alike and their ratio holds. B0 is requested with
the same signed-in person's cookies as the page, so it pays the same session and
user lookups in the middleware: the ratio is what the page itself costs.
"""

import http.client
import itertools
import math
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Request:
    method: str
    path: str
    cookies: dict[str, str]
    body: bytes = b""
    expect: int = 200


@dataclass
class Samples:
    latencies: list[float] = field(default_factory=list)  # seconds
    busy: float = 0.0  # seconds the blocks lasted
    errors: list[str] = field(default_factory=list)
    # CPU seconds the server side spent in the blocks, by part ("web", "database").
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.latencies)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        # Nearest rank: the smallest sample with at least p% of samples at or below it.
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    @property
    def throughput(self) -> float:
        return self.count / self.busy if self.busy else float("nan")

    def summary(self) -> dict:
        return {
            "n": self.count,
            "p50_ms": self.percentile(50) * 1000,
            "p95_ms": self.percentile(95) * 1000,
            "p99_ms": self.percentile(99) * 1000,
            "mean_ms": statistics.fmean(self.latencies) * 1000 if self.latencies else None,
            "rps": self.throughput,
            "errors": len(self.errors),
            "first_errors": self.errors[:3],
            **{
                f"{part}_cpu_ms": seconds * 1000 / self.count if self.count else None
                for part, seconds in self.cpu.items()
            },
        }


class Client:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port

    def send(self, request: Request) -> tuple[int, float, bytes]:
        cookie = "; ".join(f"{k}={v}" for k, v in request.cookies.items())
        headers = {
            "Host": f"{self.host}:{self.port}",
            "Cookie": cookie,
            # As behind the TLS proxy production runs behind (config/settings.py).
            "X-Forwarded-Proto": "https",
            "User-Agent": "between-sessions-bench",
        }
        if request.method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"https://{self.host}:{self.port}{request.path}"
        started = time.perf_counter()
        connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            connection.request(request.method, request.path, request.body or None, headers)
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()
        return response.status, time.perf_counter() - started, body


def run_block(
    client: Client, next_request: Callable[[], Request], seconds: float, concurrency: int
) -> Samples:
    """`concurrency` requests in flight for `seconds` (each worker sends at least one)."""
    samples = Samples()
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker():
        while True:
            with lock:
                request = next_request()
            try:
                status, elapsed, _ = client.send(request)
            except OSError as error:
                with lock:
                    samples.errors.append(f"{request.path}: {error}")
                status, elapsed = None, 0.0
            with lock:
                if status == request.expect:
                    samples.latencies.append(elapsed)
                elif status is not None:
                    samples.errors.append(f"{request.method} {request.path}: {status}")
            if time.perf_counter() >= deadline:
                return

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    samples.busy = time.perf_counter() - started
    return samples


def merge(into: Samples, block: Samples) -> None:
    into.latencies += block.latencies
    into.busy += block.busy
    into.errors += block.errors
    for part, seconds in block.cpu.items():
        into.cpu[part] = into.cpu.get(part, 0.0) + seconds


def rotate(make: Callable[[int], Request]) -> Callable[[], Request]:
    counter = itertools.count()
    return lambda: make(next(counter))


def compare(
    client: Client,
    page: Callable[[], Request],
    bare: Callable[[], Request],
    *,
    rounds: int,
    seconds: float,
    concurrency: int,
    cpu: Callable[[], dict[str, float]] = dict,
) -> tuple[Samples, Samples]:
    """The page and B0 in alternating blocks (B0 first in even rounds, second in
    odd ones), after one unmeasured request of each per worker. `cpu` reads the
    server processes' CPU seconds so far, by part, to charge each block with."""
    run_block(client, page, 0, concurrency)
    run_block(client, bare, 0, concurrency)
    page_samples, bare_samples = Samples(), Samples()
    for number in range(rounds):
        order = ((bare, bare_samples), (page, page_samples))
        for make, samples in order if number % 2 == 0 else reversed(order):
            before = cpu()
            block = run_block(client, make, seconds, concurrency)
            after = cpu()
            block.cpu = {part: after[part] - before.get(part, 0.0) for part in after}
            merge(samples, block)
    return page_samples, bare_samples
