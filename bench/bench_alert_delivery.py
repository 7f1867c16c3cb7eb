"""Alert delivery: what raising an alert costs the caller (the hand-off to the sinks' queues),
and how many alerts per second each sink delivers to a local receiver (a threaded HTTP server
for the webhook, a UDP socket for syslog, a subscriber on the NATS server at 127.0.0.1:4222).

Run: ``python bench/bench_alert_delivery.py`` (``BENCH_QUICK=1`` for a short run). Medians of
several runs.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import nats

from bench._alerts import bench_alert
from bench._util import median_of, save, table
from shieldwall.core.clock import SystemClock
from shieldwall.trace.delivery.dispatch import AlertDispatcher, Backoff
from shieldwall.trace.delivery.nats import NatsSink
from shieldwall.trace.delivery.ports import AlertEvent, AlertSink
from shieldwall.trace.delivery.syslog import SyslogSink
from shieldwall.trace.delivery.webhook import WebhookSink

QUICK = os.environ.get("BENCH_QUICK") == "1"
RUNS = 3 if QUICK else 5
N = 300 if QUICK else 1000
ALERT = bench_alert(200, evidence=True)


class Counter:
    def __init__(self) -> None:
        self.n = 0
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.want = 0

    def hit(self) -> None:
        with self.lock:
            self.n += 1
            if self.n >= self.want:
                self.done.set()

    def expect(self, want: int) -> None:
        with self.lock:
            self.n, self.want = 0, want
            self.done.clear()


def http_receiver(counter: Counter) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()
            counter.hit()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/hook"


def udp_receiver(counter: Counter) -> int:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)

    def loop() -> None:
        while True:
            sock.recv(65535)
            counter.hit()

    threading.Thread(target=loop, daemon=True).start()
    return int(sock.getsockname()[1])


def nats_receiver(counter: Counter, subject: str) -> None:
    ready = threading.Event()

    async def main() -> None:
        nc = await nats.connect("nats://127.0.0.1:4222")

        async def cb(_: Any) -> None:
            counter.hit()

        await nc.subscribe(subject, cb=cb)
        await nc.flush()
        ready.set()
        await asyncio.Event().wait()

    threading.Thread(target=lambda: asyncio.run(main()), daemon=True).start()
    ready.wait(30)


def throughput(sink: AlertSink, counter: Counter) -> float:
    """Alerts per second from the first submit until the receiver has all N."""
    d = AlertDispatcher([sink], queue_size=N + 1, backoff=Backoff(1, 0, 0))
    counter.expect(N)
    alerts = [replace(ALERT, alert_id=f"alr_{i}") for i in range(N)]
    start = time.perf_counter()
    for a in alerts:
        d.submit(a)
    if not counter.done.wait(120):
        raise SystemExit(f"{sink.name}: only {counter.n} of {N} arrived")
    elapsed = time.perf_counter() - start
    d.close(30)
    return N / elapsed


def submit_cost() -> float:
    """Microseconds the caller spends in submit() with three sinks (queues never full)."""

    class Null:
        def __init__(self, name: str) -> None:
            self.name = name

        def deliver(self, event: AlertEvent) -> None:
            pass

        def close(self) -> None:
            pass

    d = AlertDispatcher([Null("a"), Null("b"), Null("c")], queue_size=N * 10)
    d.submit(ALERT)  # starts the threads
    start = time.perf_counter()
    for _ in range(N):
        d.submit(ALERT)
    elapsed = time.perf_counter() - start
    d.close(30)
    return elapsed / N * 1e6


def main() -> None:
    http_n, udp_n, nats_n = Counter(), Counter(), Counter()
    server, url = http_receiver(http_n)
    udp_port = udp_receiver(udp_n)
    subject = f"bench{os.getpid()}.shieldwall.alerts"
    nats_receiver(nats_n, subject)
    secret = b"bench-secret-0123456789"
    results: dict[str, Any] = {"alerts_per_run": N}
    cost, cost_runs = median_of(RUNS, submit_cost)
    results["submit_us_per_alert_3_sinks"] = {"median": cost, "runs": cost_runs}
    for name, make, counter in (
        ("webhook", lambda: WebhookSink(url, secret, SystemClock()), http_n),
        ("syslog_udp", lambda: SyslogSink("127.0.0.1", udp_port), udp_n),
        ("nats", lambda: NatsSink("nats://127.0.0.1:4222", subject), nats_n),
    ):
        rate, runs = median_of(RUNS, lambda make=make, counter=counter: throughput(make(), counter))  # type: ignore[misc]
        results[f"{name}_alerts_per_s"] = {"median": rate, "runs": runs}
    server.shutdown()
    table(
        [
            ("submit() with 3 sinks", f"{cost:.1f} µs per alert"),
            ("webhook (HTTP, local)", f"{results['webhook_alerts_per_s']['median']:.0f} alerts/s"),
            ("syslog UDP (local)", f"{results['syslog_udp_alerts_per_s']['median']:.0f} alerts/s"),
            ("NATS (local server)", f"{results['nats_alerts_per_s']['median']:.0f} alerts/s"),
        ]
    )
    save("alert_delivery", results)


if __name__ == "__main__":
    main()
